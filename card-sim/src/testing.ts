// Test support of @ehkd/card-sim: the exhaustive tear and damage campaign, which any CardStore design can be run through.
export {
  runTearCampaign,
  type CampaignStorage,
  type TearCampaignOptions,
  type TearCampaignResult,
} from './testing/tear-campaign.js';
