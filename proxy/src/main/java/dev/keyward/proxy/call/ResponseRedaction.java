package dev.keyward.proxy.call;

/**
 * Keeps a secret out of a response: a header value with every occurrence replaced, and a tap for
 * the body.
 */
public interface ResponseRedaction {

  /** Nothing to keep out: the call carried no secret. */
  ResponseRedaction NONE = new ResponseRedaction() {
    @Override
    public String header(String value) {
      return value;
    }

    @Override
    public BodyTap body() {
      return chunk -> chunk;
    }
  };

  /** {@code value} with the secret replaced; the same instance when it does not occur. */
  String header(String value);

  /** A tap that redacts one body. */
  BodyTap body();
}
