/** Registration client (RFC 3261 §10): trunks with `register:` keep a binding at their registrar. */
export { Registrations, type RegistrationsOptions } from './registrations.js';
export {
  REGISTRATION_ERRORS,
  REGISTRATION_STATES,
  TrunkRegistration,
  type RegistrationErrorCode,
  type RegistrationHost,
  type RegistrationState,
  type RegistrationStatus,
} from './trunk-registration.js';
export { backoffDelayMs, refreshDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './schedule.js';
