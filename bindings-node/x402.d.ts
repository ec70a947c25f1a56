// Types of `computestream/x402`: scheme classes for the reference x402 SDK (@x402/core). They
// satisfy its `SchemeNetworkClient` and `SchemeNetworkServer` structurally, so this package
// does not depend on @x402/core.
import type { Integer } from './client';
import type { PaymentRequirements } from './computestream';

export interface ClientSchemeOptions {
  privateKey: string;
  /** Node API URL (`…/v1`): sequence numbers and chain time. */
  node: string;
  /** The container image a `stream` payment rents compute for. */
  dockerImage?: string | null;
  contract?: string | null;
}

declare abstract class ClientScheme {
  readonly scheme: string;
  readonly address: string;
  createPaymentPayload(x402Version: number, paymentRequirements: PaymentRequirements): Promise<{ x402Version: number; payload: Record<string, unknown> }>;
}
/** `exact` on Aptos and Movement, client side: a sponsored fungible-asset transfer. */
export declare class ExactClientScheme extends ClientScheme {
  readonly scheme: 'exact';
  constructor(options: ClientSchemeOptions);
}
/** `stream`, client side: one `rent` transaction (job, escrow, stream), sponsored. */
export declare class StreamClientScheme extends ClientScheme {
  readonly scheme: 'stream';
  constructor(options: ClientSchemeOptions);
}

type PaymentFlowName = 'authorization' | 'upfront' | 'escrow';
type PaymentFlows = Readonly<Record<string, { readonly supported: readonly PaymentFlowName[]; readonly default: PaymentFlowName }>>;
interface SupportedKind {
  x402Version: number;
  scheme: string;
  network: string;
  extra?: Record<string, unknown>;
}
type Price = string | number | { amount: string; asset: string };

/** `exact` on Aptos and Movement, server side: `price` is `{amount, asset}` (base units) or a decimal amount of `asset`. */
export declare class ExactServerScheme {
  readonly scheme: 'exact';
  readonly defaultAssetTransferMethod: string;
  readonly paymentFlows: PaymentFlows;
  constructor(options?: { asset?: string; decimals?: number });
  parsePrice(price: Price, network: string): Promise<{ amount: string; asset: string }>;
  enhancePaymentRequirements(requirements: PaymentRequirements, supportedKind: SupportedKind, facilitatorExtensions: string[]): Promise<PaymentRequirements>;
}
/** `stream`, server side: a deposit of `ratePerSecond` (nano-units) × `maxDurationSeconds`, settled before the handler. */
export declare class StreamServerScheme {
  readonly scheme: 'stream';
  readonly defaultAssetTransferMethod: string;
  readonly paymentFlows: PaymentFlows;
  constructor(options: { contract: string; ratePerSecond: Integer; maxDurationSeconds: Integer; asset?: string });
  parsePrice(price: Price, network: string): Promise<{ amount: string; asset: string }>;
  enhancePaymentRequirements(requirements: PaymentRequirements, supportedKind: SupportedKind, facilitatorExtensions: string[]): Promise<PaymentRequirements>;
}
