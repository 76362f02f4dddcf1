/**
 * The LLM-aware parts of the data path, as plain Java with no HTTP server: the proxy wires them in
 * as interceptors and body taps.
 *
 * <p>Per request on a route with an {@link dev.keyward.llm.Api}: {@link
 * dev.keyward.llm.Api#endpoint} classifies the path ({@link dev.keyward.llm.Endpoint#OTHER}
 * passes untouched); {@link dev.keyward.llm.LlmRequest#parse} reads the body (a {@link
 * dev.keyward.llm.LlmFormatException} is a 400); {@link dev.keyward.llm.LlmRequest#rewrite} gives
 * what goes upstream. Per response: a {@link dev.keyward.llm.UsageMeter} is fed the decoded body
 * and gives back the bytes to forward, then the {@link dev.keyward.llm.Usage}; a {@link
 * dev.keyward.llm.PriceTable} turns usage into a {@link dev.keyward.llm.Cost} in nano-dollars.
 */
package dev.keyward.llm;
