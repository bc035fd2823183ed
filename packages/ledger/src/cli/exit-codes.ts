/** Exit codes of `ehkd-ledger`. */
export const EXIT_OK = 0;
/** Misuse or an operational failure (bad arguments, unreadable key file, database error). */
export const EXIT_ERROR = 1;
/** The command ran but the data did not pass: a batch refused, evidence that does not verify, an audit that fails. */
export const EXIT_REFUSED = 3;
