import { expect } from 'chai';
import { encodeRecord, RecordIODecoder, RecordIOError } from '../../src/mesos/recordio';

import { seededRandom as prng } from '../support/random';

function randomRecords(rand: () => number): Buffer[] {
  const n = 1 + Math.floor(rand() * 12);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const len = rand() < 0.1 ? 0 : Math.floor(rand() * (rand() < 0.2 ? 5000 : 40));
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 256);
    out.push(b);
  }
  return out;
}

function splitRandomly(data: Buffer, rand: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  let i = 0;
  while (i < data.length) {
    const size = 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 300));
    chunks.push(data.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

describe('RecordIO', () => {
  it('encodes as decimal length, newline, payload', () => {
    expect(encodeRecord(Buffer.from('hello')).toString()).to.equal('5\nhello');
    expect(encodeRecord(Buffer.alloc(0)).toString()).to.equal('0\n');
  });

  it('decodes several records from one chunk and one record from many chunks', () => {
    const d = new RecordIODecoder();
    const all = Buffer.concat([encodeRecord(Buffer.from('ab')), encodeRecord(Buffer.from('c'))]);
    expect(d.push(all).map(String)).to.deep.equal(['ab', 'c']);
    const one = encodeRecord(Buffer.from('a longer record'));
    const got: string[] = [];
    for (const byte of one) got.push(...d.push(Buffer.from([byte])).map(String));
    expect(got).to.deep.equal(['a longer record']);
    expect(d.atRecordBoundary).to.equal(true);
  });

  it('fuzz: any split of a valid stream yields exactly the records (500 cases)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rand = prng(seed);
      const records = randomRecords(rand);
      const stream = Buffer.concat(records.map(encodeRecord));
      const d = new RecordIODecoder();
      const got: Buffer[] = [];
      for (const chunk of splitRandomly(stream, rand)) got.push(...d.push(chunk));
      expect(got, `seed ${seed}`).to.deep.equal(records);
      expect(() => d.end(), `seed ${seed}`).not.to.throw();
    }
  });

  it('fuzz: a truncated stream yields a prefix of the records and end() reports the cut (300 cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed * 7919);
      const records = randomRecords(rand);
      const stream = Buffer.concat(records.map(encodeRecord));
      const cut = Math.floor(rand() * stream.length);
      const d = new RecordIODecoder();
      const got: Buffer[] = [];
      for (const chunk of splitRandomly(stream.subarray(0, cut), rand)) got.push(...d.push(chunk));
      expect(records.slice(0, got.length), `seed ${seed}`).to.deep.equal(got);
      const boundaries = new Set<number>([0]);
      let off = 0;
      for (const r of records) { off += encodeRecord(r).length; boundaries.add(off); }
      if (boundaries.has(cut)) expect(() => d.end()).not.to.throw();
      else expect(() => d.end(), `seed ${seed}`).to.throw(RecordIOError, /ended inside a record/);
    }
  });

  it('fuzz: bogus length headers are rejected with a clear error, never a hang or crash (300 cases)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed * 104729);
      const garbageLen = 1 + Math.floor(rand() * 30);
      const garbage = Buffer.alloc(garbageLen);
      for (let j = 0; j < garbageLen; j++) garbage[j] = Math.floor(rand() * 256);
      garbage[0] = rand() < 0.5 ? 0x41 : 0x7b; // start with a non-digit ('A' or '{')
      const d = new RecordIODecoder();
      expect(() => {
        for (const chunk of splitRandomly(garbage, rand)) d.push(chunk);
      }, `seed ${seed}`).to.throw(RecordIOError, /malformed RecordIO stream/);
      // Once failed, it stays failed.
      expect(() => d.push(encodeRecord(Buffer.from('x')))).to.throw(RecordIOError);
    }
  });

  it('enforces the maximum record size from the header alone', () => {
    const d = new RecordIODecoder({ maxRecordBytes: 1000 });
    expect(() => d.push(Buffer.from('1001'))).to.throw(RecordIOError, /exceeds the maximum of 1000/);
    const d2 = new RecordIODecoder();
    expect(() => d2.push(Buffer.from('99999999999999999999999\n'))).to.throw(RecordIOError, /exceeds/);
    const d3 = new RecordIODecoder({ maxRecordBytes: 1000 });
    expect(d3.push(encodeRecord(Buffer.alloc(1000))).length).to.equal(1);
  });

  it('rejects an empty length and a length with spaces or signs', () => {
    expect(() => new RecordIODecoder().push(Buffer.from('\n'))).to.throw(RecordIOError, /empty record length/);
    expect(() => new RecordIODecoder().push(Buffer.from(' 5\nhello'))).to.throw(RecordIOError, /0x20/);
    expect(() => new RecordIODecoder().push(Buffer.from('-5\n'))).to.throw(RecordIOError);
  });
});
