import { expect, test } from "vitest";
import config from "@/next.config";

// `next dev` refuses its dev resources (HMR, chunks) to hosts it does not know; the console is opened
// at http://127.0.0.1:PORT, so without this the page never hydrates and the sign-in form is dead.
test.each(["127.0.0.1", "localhost"])("the dev server serves its resources to %s", (host) => {
  expect(config.allowedDevOrigins).toContain(host);
});
