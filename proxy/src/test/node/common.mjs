// Shared by the client scripts: the arguments every scenario needs, and one JSON line on stdout.

/** Keyward's base URL for the route, the platform token, and the user's message. */
export function settings() {
  const baseURL = process.env.KEYWARD_BASE_URL;
  const token = process.env.KEYWARD_TOKEN;
  if (!baseURL || !token) {
    fail('KEYWARD_BASE_URL and KEYWARD_TOKEN must be set');
  }
  return {
    baseURL,
    token,
    message: process.env.KEYWARD_MESSAGE || 'Say hi',
    model: process.env.KEYWARD_MODEL,
  };
}

/** Prints the scenario's result as one JSON line; the Java side parses the last line. */
export function print(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** An SDK error as data: what an agent's code would see. */
export function describeError(error) {
  return {
    ok: false,
    error: {
      name: error?.constructor?.name ?? typeof error,
      status: error?.status ?? null,
      code: error?.code ?? null,
      type: error?.type ?? null,
      message: String(error?.message ?? error),
      body: error?.error ?? null,
      requestId: error?.headers?.get?.('x-request-id') ?? null,
    },
  };
}

export function fail(message) {
  process.stderr.write(message + '\n');
  process.exit(2);
}

/** Runs the named scenario and prints its result; an error (an SDK's or not) is a result too. */
export async function run(scenarios) {
  const name = process.argv[2];
  const scenario = scenarios[name];
  if (!scenario) {
    fail(`unknown scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}`);
  }
  try {
    print({ ok: true, ...(await scenario()) });
  } catch (error) {
    print(describeError(error));
  }
}
