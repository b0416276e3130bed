/**
 * OwnTracks profile, from the OwnTracks booklet. Sources:
 *  [JSON]  "JSON" — https://owntracks.org/booklet/tech/json/ (owntracks/booklet docs/tech/json.md): topics,
 *          _type=location fields and units, lwt, transition, card, cmd
 *  [QUICK] "Quick setup" — https://owntracks.org/booklet/guide/quicksetup/ (owntracks/jane/nokia location)
 *  [TRAC]  "Traccar" — https://owntracks.org/booklet/features/traccar/ (location payloads with cog, vac, p, tid)
 *  [WAYP]  "Waypoints" — https://owntracks.org/booklet/features/waypoints/ (transition and waypoint payloads)
 *  [BEAC]  "Beacons" — https://owntracks.org/booklet/features/beacons/ (transition payload)
 *  [CARD]  "Card" — https://owntracks.org/booklet/features/card/
 *  [POI]   "POI and tags" — https://owntracks.org/booklet/features/poi/
 */
import assert from 'node:assert/strict';
import { allOn, codes, onlyEvents, one, parse, units, values } from './helpers';

describe('profile: OwnTracks', () => {
  it('[QUICK] owntracks/jane/nokia location: lat, lon, alt, batt, vel, conn at the fix time tst', () => {
    const r = parse(
      'owntracks/jane/nokia',
      '{"_type":"location","SSID":"mywifi","alt":154,"batt":53,"conn":"w","created_at":1706856299,"lat":48.856826,"lon":2.292713,"tid":"j1","tst":1706856298,"vel":0}',
    );
    assert.equal(r.profile, 'owntracks');
    assert.deepEqual(r.rejects, []);
    allOn(r, 'owntracks:jane/nokia');
    assert.deepEqual(values(r), { lat: 48.856826, lon: 2.292713, alt: 154, vel: 0, batt: 53, conn: 'w' });
    assert.deepEqual(units(r), { lat: '°', lon: '°', alt: 'm', vel: 'km/h', batt: '%' });
    assert.ok(r.readings.every((x) => x.deviceTs && x.ts === 1706856298000));
  });

  it('[TRAC] a full location: acc, vac, cog and pressure too', () => {
    const r = parse(
      'owntracks/jane/iphone',
      '{"cog":271,"batt":41,"lon":2.29513,"acc":5,"vel":61,"vac":21,"lat":48.85833,"t":"u","tst":1497508651,"alt":167,"_type":"location","topic":"owntracks/jane/iphone","p":71,"tid":"JJ"}',
    );
    assert.deepEqual(values(r), { lat: 48.85833, lon: 2.29513, acc: 5, alt: 167, vac: 21, vel: 61, cog: 271, batt: 41, p: 71 });
    assert.equal(units(r).p, 'kPa');
    const minimal = parse('owntracks/jane/phone', '{"lon":2.29513,"lat":48.85833,"_type":"location","tst":1497476456, "tid":"JJ"}');
    assert.deepEqual(values(minimal), { lat: 48.85833, lon: 2.29513 });
  });

  it('[JSON] _type lwt: the app dropped off, availability offline', () => {
    const [e] = onlyEvents(parse('owntracks/jane/phone', '{"_type":"lwt","tst":1706856298}'));
    assert.deepEqual([e.kind, e.deviceId, e.kind === 'availability' ? e.state : ''], ['availability', 'owntracks:jane/phone', 'offline']);
  });

  it('[WAYP][BEAC] transitions on …/event: a text reading enter:<region> at tst', () => {
    const x = one(
      parse(
        'owntracks/jane/phone/event',
        '{"_type": "transition","desc": "My favorite coffee shop (Delaville)","event": "enter","lat": 48.87069,"lon": 2.34916,"rid": "f7676c","tid": "j1","tst": 1707057574,"wtst": 1610104395}',
      ),
    );
    assert.deepEqual([x.attribute, x.value, x.ts], ['transition', 'enter:My favorite coffee shop (Delaville)', 1707057574000]);
    const beacon = one(parse('owntracks/jp/ipad/event', '{"_type": "transition","acc": 65,"desc": "Main@WestWing","event": "enter","lat": 2.2222,"lon": 1.1111,"tid": "jp","tst": 1433342520,"wtst": 1432817332}'));
    assert.equal(beacon.value, 'enter:Main@WestWing');
  });

  it('[CARD] a card on …/info is metadata (the name)', () => {
    const [d] = onlyEvents(parse('owntracks/jane/phone/info', '{"_type": "card","name": "Jane Jolie","face": "iV1CFEVkMhmCIKBUKh3ghAAAAABJRU5ErkJggg=="}'));
    assert.deepEqual(d.kind === 'device' ? [d.deviceId, d.name] : [], ['owntracks:jane/phone', 'Jane Jolie']);
  });

  it('[JSON] …/cmd is a command', () => {
    const [c] = onlyEvents(parse('owntracks/jane/phone/cmd', '{"_type":"cmd", "action":"reportLocation"}'));
    assert.equal(c.kind, 'command');
  });

  it('[WAYP] waypoints are not telemetry: ignored', () => {
    const r = parse('owntracks/jane/phone/waypoint', '{"_type": "waypoint","desc": "My favorite coffee shop (Delaville)","lat": 48.87069,"lon": 2.34916,"rad": "50","tst": 1610104395}');
    assert.ok(r.ignored);
  });

  it('[POI] a POI location keeps lat/lon; broken or untyped payloads are refused', () => {
    assert.deepEqual(values(parse('owntracks/jane/phone', '{"_type": "location","lat": 17.065921,"lon": -96.717023,"poi": "Oaxaca, hotel Los Pilares","tst":1706856298}')), {
      lat: 17.065921,
      lon: -96.717023,
    });
    assert.deepEqual(codes(parse('owntracks/jane/phone', '{"lat": 1}')), [['value-invalid', undefined]]);
    assert.deepEqual(codes(parse('owntracks/jane/phone', '{"_type":"location","lat":48.8')), [['payload-invalid-json', undefined]]);
    assert.deepEqual(codes(parse('owntracks/jane/phone', '')), [['payload-empty', undefined]]);
  });
});
