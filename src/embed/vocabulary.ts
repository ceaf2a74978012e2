/**
 * The project's own WordPiece vocabulary for generated models: special tokens, single characters,
 * common English and software words, suffix pieces and every two-letter continuation piece, so
 * English-ish text tokenises to known tokens (an unknown word falls back to `##` pieces, not [UNK]).
 * The list is a pure function of this file: same code, same ids.
 */

/** Special tokens in BERT's order; their ids are their positions (0-4). */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

const PUNCTUATION = `! " # $ % & ' ( ) * + , - . / : ; < = > ? @ [ \\ ] ^ _ \` { | } ~`;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

const COMMON_WORDS = `
the of and to a in is it you that he was for on are with as i his they be at one have this from or
had by not word but what some we can out other were all there when up use your how said an each she
which do their time if will way about many then them write would like so these her long make thing see
him two has look more day could go come did number sound no most people my over know water than call
first who may down side been now find any new work part take get place made live where after back
little only round man year came show every good me give our under name very through just form sentence
great think say help low line differ turn cause much mean before move right boy old too same tell does
set three want air well also play small end put home read hand port large spell add even land here must
big high such follow act why ask men change went light kind off need house picture try us again animal
point mother world near build self earth father head stand own page should country found answer school
grow study still learn plant cover food sun four between state keep eye never last let thought city tree
cross farm hard start might story saw far sea draw left late run while press close night real life few
north open seem together next white children begin got walk example ease paper group always music those
both mark often letter until mile river car feet care second book carry took science eat room friend
began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half rock order
fire south problem piece told knew pass since top whole king space heard best hour better true during
hundred five remember step early hold west ground interest reach fast verb sing listen six table travel
less morning ten simple several vowel toward war lay against pattern slow center love person money serve
appear road map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry
dark machine note wait plan figure star box noun field rest correct able pound done beauty drive stood
contain front teach week final gave green quick develop ocean warm free minute strong special mind behind
clear tail produce fact street inch multiply nothing course stay wheel full force blue object decide
surface deep moon island foot system busy test record boat common gold possible plane stead dry wonder
laugh thousand ago ran check game shape equate miss brought heat snow tire bring yes distant fill east
paint language among grand ball yet wave drop heart present heavy dance engine position arm wide sail
material size vary settle speak weight general ice matter circle pair include divide syllable felt
perhaps pick sudden count square reason length represent art subject region energy hunt probable bed
brother egg ride cell believe fraction forest sit race window store summer train sleep prove lone leg
exercise wall catch mount wish sky board joy winter sat written wild instrument kept glass grass cow job
edge sign visit past soft fun bright gas weather month million bear finish happy hope flower clothe
strange gone jump baby eight village meet root buy raise solve metal whether push seven paragraph third
shall held hair describe cook floor either result burn hill safe cat century consider type law bit coast
copy phrase silent tall sand soil roll temperature finger industry value fight lie beat excite natural
view sense ear else quite broke case middle kill son lake moment scale loud spring observe child straight
consonant nation dictionary milk speed method organ pay age section dress cloud surprise quiet stone tiny
climb cool design poor lot experiment bottom key iron single stick flat twenty skin smile crease hole
trade melody trip office receive row mouth exact symbol die least trouble shout except wrote seed tone
join suggest clean break lady yard rise bad blow oil blood touch grew cent mix team wire cost lost brown
wear garden equal sent choose fell fit flow fair bank collect save control decimal gentle woman captain
practice separate difficult doctor please protect noon whose locate ring character insect caught period
indicate radio spoke atom human history effect electric expect crop modern element hit student corner
party supply bone rail imagine provide agree thus capital chair danger fruit rich thick soldier process
operate guess necessary sharp wing create neighbor wash bat rather crowd corn compare poem string bell
depend meat rub tube famous dollar stream fear sight thin triangle planet hurry chief colony clock mine
tie enter major fresh search send yellow gun allow print dead spot desert suit current lift rose arrive
master track parent shore division sheet substance favor connect post spend chord fat glad original
share station dad bread charge proper bar offer segment slave duck instant market degree populate chick
dear enemy reply drink occur support speech nature range steam motion path liquid log meant quotient
teeth shell neck oxygen sugar death pretty skill women season solution magnet silver thank branch match
suffix especially fig afraid huge sister steel discuss forward similar guide experience score apple
bought led pitch coat mass card band rope slip win dream evening condition feed tool total basic smell
valley nor double seat continue block chart hat sell success company subtract event particular deal swim
term opposite wife shoe shoulder spread arrange camp invent cotton born determine quart nine truck noise
level chance gather shop stretch throw shine property column molecule select wrong gray repeat require
broad prepare salt nose plural anger claim continent
data database graph node nodes edge edges relationship relationships label labels property properties
memory memories embedding embeddings vector vectors model models migration migrate migrated source target
neo4j engram query queries index indexes schema server client request response error errors retry batch
batches stream streaming write writes read reads validate validation check checkpoint cutover rollback
shadow dual backfill phase phases week weeks production downtime consistency strength activation decay
weight weights document documents content created updated accessed timestamp duration identifier uuid
person people user users account accounts customer customers order orders item items payment payments
invoice address email phone city country company companies employee employees manager team project
projects task tasks issue issues ticket tickets product products price prices category categories tag
tags review reviews rating ratings comment comments post posts article articles author authors topic
topics paper papers learning machine network networks neural attention transformer language text texts
sentence sentences token tokens search similarity cosine distance score scores cluster clusters service
services api http json file files folder path config configuration option options version release build
test tests unit integration benchmark performance latency throughput second seconds minute minutes hour
hours day days month months year years date time times count total rate limit limits capacity space
spaces worker workers thread threads pool queue queues job jobs log logs metric metrics report reports
status success failure failed fail pending running complete completed started stopped cancelled active
inactive enabled disabled public private internal external primary secondary default custom local remote
cloud storage disk cache memory cpu core cores process processes event events message messages channel
channels friend friends follows knows likes owns works member members group groups organization role roles
skill skills experience education school university course courses student students teacher teachers
movie movies actor actors director directors genre film films music song songs album albums artist
artists book books chapter chapters library libraries page pages word words language languages story
stories news research science study studies result results method methods analysis system systems
design development software hardware code program programs function functions type types class classes
interface module modules package packages library framework application applications platform platforms
health medical patient patients doctor doctors hospital drug drugs disease diseases treatment symptoms
finance bank banks loan loans transaction transactions market markets stock stocks trade trades fund
funds risk risks policy policies contract contracts agreement legal law laws court case cases
location locations region regions street building buildings room rooms floor office offices store stores
vehicle vehicles car cars flight flights airport airports hotel hotels trip trips travel route routes
new old first last next previous high low big small large short long good bad best better worse main
important different same similar related based using used use including include provides provided
across within without between among during before after about above below under over into onto upon
hello thanks un re pre dis non sub inter multi auto semi anti co de mis
`;

const SUFFIXES = `s es ed ing er ers est ly tion tions sion ment ments ness able ible al ial ive ity ize ized ise
ful less ous ious ic ical ist ists ism ance ence ant ent ary ory ure age ship hood ward wise like an ian
en y ies ier iest ted ting ly ally ated ating ation ations ize izing`;

/** The default vocabulary (about 2.5k tokens), in id order. */
export function buildVocabulary(): string[] {
  const tokens: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(tokens);
  const add = (token: string): void => {
    if (token.length > 0 && !seen.has(token)) {
      seen.add(token);
      tokens.push(token);
    }
  };
  for (const p of PUNCTUATION.split(' ')) add(p);
  for (const c of DIGITS + LETTERS) add(c);
  for (const w of COMMON_WORDS.split(/\s+/)) add(w.toLowerCase());
  for (const s of SUFFIXES.split(/\s+/)) add(`##${s}`);
  for (const c of DIGITS + LETTERS) add(`##${c}`);
  for (const a of LETTERS) for (const b of LETTERS) add(`##${a}${b}`);
  return tokens;
}

/**
 * A vocabulary of exactly `size` tokens: the default list cut to size, or padded with BERT-style
 * `[unusedN]` tokens. `size` must leave room for the special tokens and single characters.
 */
export function vocabularyOfSize(size: number): string[] {
  const base = buildVocabulary();
  const minimum = SPECIAL_TOKENS.length + PUNCTUATION.split(' ').length + DIGITS.length + LETTERS.length;
  if (!Number.isInteger(size) || size < minimum) {
    throw new RangeError(`vocab size must be an integer >= ${minimum}, got ${size}`);
  }
  if (size <= base.length) return base.slice(0, size);
  for (let i = 0; base.length < size; i++) base.push(`[unused${i}]`);
  return base;
}
