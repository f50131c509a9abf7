export { QuotaService, type Admitted, type AdmitResult, type QuotaServiceOptions, type QuotaUsage, type PeriodUsage, type ScopeUsage } from "./service";
export type { AdmitInput, DenialLimit, QuotaDenial } from "./admit-plan";
export { QuotaUnavailableError } from "./errors";
export { QuotaConfigBodySchema, LimitsSchema, LIMIT_NAMES, type LimitName, type Limits, type QuotaConfig, type QuotaConfigBody } from "./limits";
export { dayWindow, minuteWindow, monthWindow, type Window } from "./windows";
