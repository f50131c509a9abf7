import { SUPPORTED_REVISIONS } from "../revisions";
import type { MethodEntry } from "./context";
import { CAPABILITIES, INSTRUCTIONS } from "./server-info";

/** server/discover (stateless era, mandatory): the revisions spoken and what is offered. */
export const discover: MethodEntry = {
  eras: ["stateless"],
  async handle() {
    return { supportedVersions: [...SUPPORTED_REVISIONS], capabilities: CAPABILITIES, instructions: INSTRUCTIONS };
  },
};
