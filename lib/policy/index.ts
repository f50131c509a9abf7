/**
 * The policy engine's public API. Pure: no I/O, no clock (time comes in as `context.now`).
 */
export type {
  Action,
  ToolCall,
  EvalContext,
  EvalOptions,
  PolicyDecision,
  TraceEntry,
  ConditionTrace,
  ValidationError,
  FactSources,
  FactName,
  CostFact,
} from "./types";
export {
  PolicySchema,
  RuleSchema,
  ConditionsSchema,
  ACTIONS,
  ALLOWED_KEYS,
  RULE_KINDS,
  type RuleKind,
  policyJsonSchema,
  type Policy,
  type Rule,
  type Conditions,
  type FactMap,
} from "./schema";
export { parsePolicy, validatePolicyObject, formatValidationError, type ParseResult } from "./parse";
export { compilePolicy, CompiledPolicy, ruleIdentity, type CompileOptions, type CompiledRule } from "./compile";
export { evaluate } from "./evaluate";
export { simulate, loadPolicy, ToolCallSchema, type SimulateInput, type SimulateResult } from "./simulate";
export { migratePolicy, migrateObject, type MigrateOptions, type MigrateResult } from "./migrate";
export { detectFormat, type PolicyFormat } from "./detect";
export { toCanonicalYaml } from "./serialize";
export { DEFAULT_FACT_SOURCES } from "./facts";
export { normalizeAbsolutePath, isUnder } from "./paths";
export { DEFAULT_EXPIRES_IN_SECONDS } from "./duration";
export { diffPolicies, patternCovers, patternsOverlap, type PolicyDiff, type RuleChange, type RuleChangeKind, type RiskLevel, type PolicyRisk, type DefaultsChange, type ChangeEffect } from "./diff";
export {
  testCaseInputSchema,
  testCaseCallSchema,
  testCaseExpectedSchema,
  testCasesFileSchema,
  runTestCases,
  checkExpected,
  MAX_TEST_CASES_PER_RUN,
  type TestCaseInput,
  type TestCaseResult,
  type TestRun,
} from "./test-cases";
