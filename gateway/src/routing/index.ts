export { normalizeNumber, type NormalizeOptions } from './number.js';
export {
  duplicatePatternError,
  parseNumberPattern,
  RoutingError,
  type NumberPattern,
  type RoutingErrorCode,
} from './number-pattern.js';
export { NumberRouter, type RouteMatch } from './number-router.js';
export { CidrError, CidrSet, parseCidr, parseIp, type Cidr } from './cidr.js';
export { TrunkMatcher, type TrunkSpec } from './trunks.js';
export {
  DESTINATION_REFUSAL_CODES,
  DESTINATION_REFUSALS,
  DestinationPolicy,
  DestinationPolicyError,
  parseDestinationEntry,
  redactDestination,
  type Destination,
  type DestinationCheck,
  type DestinationEntry,
  type DestinationPolicyOptions,
  type DestinationRefusalCode,
} from './destination-policy.js';
