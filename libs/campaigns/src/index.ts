export { CampaignCatalog, campaignKey, parseCampaignKey } from './campaign-catalog';
export type {
  ApplyOutcome,
  CatalogEntry,
  CatalogOfferRef,
  RecordPosition,
} from './campaign-catalog';
export { localTime, notServingReason, offerServes } from './schedule';
export type { LocalTime } from './schedule';
export { redeemableOnCart } from './cart-scope';
export { holdoutPoint, inHoldout } from './holdout';
export type { HoldoutTerms } from './holdout';
