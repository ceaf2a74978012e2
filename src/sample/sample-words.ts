/** Small fixed vocabularies for the sample graph. Changing any list changes every generated graph. */

/** Words that document contents are drawn from. */
export const CONTENT_WORDS: readonly string[] = (
  'memory graph node edge vector embedding model training inference latency throughput cache index ' +
  'query planner cursor batch stream backpressure shard replica leader follower quorum consensus log ' +
  'snapshot checkpoint recovery failover migration schema mapping property label relationship weight ' +
  'activation decay recall consolidation episode semantic neural attention transformer token sentence ' +
  'paper study result experiment baseline benchmark dataset sample noise signal error bias variance ' +
  'gradient optimizer learning rate epoch loss accuracy precision coverage cluster centroid distance ' +
  'cosine similarity neighbour search ranking retrieval document reader author citation review draft ' +
  'version release patch upgrade rollback deploy monitor alert metric histogram percentile budget ' +
  'service client server request response timeout retry jitter limiter token bucket queue worker ' +
  'thread pool process signal shutdown startup config option default flag value range check report ' +
  'customer product order invoice payment account ledger balance audit policy compliance privacy ' +
  'team project meeting roadmap milestone deadline estimate risk issue decision summary note insight ' +
  'city river mountain forest ocean island harbour bridge tower garden market station library museum ' +
  'quick slow bright quiet careful early late simple complex robust fragile stable sparse dense'
).split(' ');

export const FIRST_NAMES: readonly string[] = (
  'Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil Trent ' +
  'Victor Walter Yara Zoe Amir Bea Chen Dana Emeka Farah Goran Hana Ines Jonas Kenji Lena Mateo Nora ' +
  'Omar Priya Quinn Rosa Sven Tariq Uma Vera Wen Ximena Yusuf Zofia'
).split(' ');

export const LAST_NAMES: readonly string[] = (
  'Smith Jones Garcia Müller Rossi Dubois Kowalski Nakamura Okafor Silva Novak Jensen Haddad Kim ' +
  "Singh Ivanova Costa O'Brien Lindqvist Moreau Tanaka Mensah Horvath Petrov Fischer Nguyen"
).split(' ');

export const ROLES: readonly string[] = ['engineer', 'analyst', 'manager', 'researcher', 'designer', 'director'];

export const LANGUAGES: readonly string[] = ['en', 'en', 'en', 'en', 'de', 'fr', 'es'];

export const ORG_SUFFIXES: readonly string[] = ['Labs', 'Systems', 'Group', 'Institute', 'GmbH', 'Inc.'];

export const TIME_ZONES: readonly string[] = ['Z', 'Z', '+01:00', '+02:00', '-05:00', '+05:30', '+09:00'];
