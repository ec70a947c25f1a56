/** ComputeStream core for Node.js. u64/u128 values are decimal strings; errors throw `Error`. */
export declare function version(): string;
/** `parseAmount("7.2", 6) === "7200000"` (base units). */
export declare function parseAmount(text: string, decimals: number): string;
/** `formatAmount("7200000", 6) === "7.2"`. */
export declare function formatAmount(units: string, decimals: number): string;
/** Nano-rate (1e-9 base unit per second) for `units` base units per second, minute or hour. */
export declare function rate(units: string, per: 'second' | 'minute' | 'hour'): string;
/** Owed after `activeSeconds`, floored and capped at `deposited`. */
export declare function streamOwed(deposited: string, ratePerSecond: string, activeSeconds: string): string;
/** Active seconds until the deposit is fully owed; `null` if never. */
export declare function secondsToDeplete(deposited: string, ratePerSecond: string): string | null;
/** JSON `{owed, claimable, refundable, depletion_time, accruing}` of a `get_stream` record at `now`. */
export declare function streamSnapshot(streamJson: string, now: string): string;
/** BCS of the entry function for a call such as `{"function":"rent",...}`. */
export declare function encodeCall(callJson: string, contract?: string | null): Buffer;
/** JSON of an entry function's BCS bytes; inverse of `encodeCall`. */
export declare function decodeCall(bcs: Buffer, contract?: string | null): string;
/** Name of an abort code raised in `module`, or `null`. */
export declare function abortName(module: string, code: string): string | null;
