import { z } from "zod";
import { defaultCatalog, estimateCost, PROVIDERS } from "@/lib/cost";
import { defineTool, inputSchemaOf } from "./types";

const CloudEstimateInput = z.strictObject({
  provider: z.enum(PROVIDERS).describe("Cloud provider"),
  action: z.string().min(1).max(200).describe("Catalog action, e.g. ec2.run_instances, compute.instances.insert, virtualMachines.create"),
  units: z.number().finite().min(0).default(1).describe("How many of the action's unit (instances, GB, requests)"),
  variant: z.string().min(1).max(100).optional().describe("Size: instance type, machine type or VM size"),
  resource: z.string().min(1).max(100).optional().describe("Service, when the action omits it (resource ec2 + action run_instances)"),
});
export type CloudEstimateArgs = z.infer<typeof CloudEstimateInput>;

/** seed 000's cloud.estimate: provider, action, units → estimated USD with the price table used. */
export const cloudEstimateTool = defineTool<CloudEstimateArgs>({
  name: "cloud.estimate",
  title: "Estimate cloud cost",
  description:
    "Estimates the USD cost of a cloud action (aws, gcp, azure) from CanopyIQ's price catalog, before you run it. " +
    "Returns the estimate, the unit price and unit, and the catalog entry used; unknown actions return matched: false with the provider's known actions.",
  inputSchema: inputSchemaOf(CloudEstimateInput),
  permission: "mcp.call",
  readOnly: true,
  schema: CloudEstimateInput,
  async run(args) {
    const estimate = estimateCost(args);
    const catalog = defaultCatalog;
    const entry = estimate.matched ? catalog.find(estimate.provider, estimate.action) : undefined;
    return {
      ...estimate,
      price_table: {
        catalog_version: catalog.catalog.version,
        note: catalog.catalog.note,
        ...(entry
          ? { entry }
          : { available_actions: catalog.actionsOf(args.provider).map((i) => i.action) }),
      },
    };
  },
});
