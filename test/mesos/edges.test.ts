// Edges of the Mesos library's small parts: the credentials file's forms and refusals, the RecordIO
// decoder's limits and failure state, and the codec's media types and errors.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CodecError, encodingOfMediaType, executorCallCodec, executorEventCodec, MEDIA_TYPES, protoDirectory, schedulerCallCodec, schedulerEventCodec } from '../../src/mesos/codec';
import { basicAuthorization, CredentialsError, loadCredentials } from '../../src/mesos/credentials';
import { DEFAULT_MAX_RECORD_BYTES, encodeRecord, RecordIODecoder, RecordIOError } from '../../src/mesos/recordio';

describe('mesos library edges', () => {
  describe('credentials file', () => {
    let dir: string;
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-cred-edges-')); });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    let n = 0;
    const write = (text: string, mode = 0o600): string => {
      const file = path.join(dir, `c${n++}`);
      fs.writeFileSync(file, text);
      fs.chmodSync(file, mode);
      return file;
    };

    it('keeps a bare secret as written but for one trailing newline (LF or CRLF)', () => {
      expect(loadCredentials(write('s3 cret \r\n'), 'fw').secret).to.equal('s3 cret ');
      expect(loadCredentials(write('s3cret\n\n'), 'fw').secret).to.equal('s3cret\n');
      expect(loadCredentials(write(' s3cret'), 'fw').secret).to.equal(' s3cret');
      expect(loadCredentials(write('a\nb\n'), 'fw').secret).to.equal('a\nb');
    });

    it('reads "principal secret" from the first line, the secret to its end, trailing blanks dropped', () => {
      expect(loadCredentials(write('  pi   two words  \r\nignored line\n'))).to.deep.equal({ principal: 'pi', secret: 'two words' });
      expect(loadCredentials(write('pi\tx'))).to.deep.equal({ principal: 'pi', secret: 'x' });
      expect(loadCredentials(write('pi x\nsecond line'))).to.deep.equal({ principal: 'pi', secret: 'x' });
    });

    it('refuses an empty principal, a directory, bad JSON and JSON without both strings', () => {
      expect(() => loadCredentials(write('secret'), '')).to.throw(CredentialsError, 'the principal is empty');
      expect(() => loadCredentials(dir)).to.throw(CredentialsError, `the credentials file ${dir} is not a regular file`);
      expect(() => loadCredentials(write('{"principal": '))).to.throw(CredentialsError, /is not valid JSON: /);
      expect(() => loadCredentials(write('{"principal":"p","secret":""}'))).to.throw(CredentialsError, /needs non-empty "principal" and "secret" strings/);
      expect(() => loadCredentials(write('{"principal":"","secret":"s"}'))).to.throw(CredentialsError, /needs non-empty/);
      expect(() => loadCredentials(write('{"principal":1,"secret":"s"}'))).to.throw(CredentialsError, /needs non-empty/);
      expect(() => loadCredentials(write('{"principal":"p","secret":2}'))).to.throw(CredentialsError, /needs non-empty/);
      expect(loadCredentials(write('  {"principal":"p","secret":"s"}\n'))).to.deep.equal({ principal: 'p', secret: 's' });
    });

    it('names the mode and the fix for any group or other bit, and accepts owner-only modes', () => {
      for (const mode of [0o601, 0o602, 0o604, 0o610, 0o620, 0o640]) {
        expect(() => loadCredentials(write('p s', mode)), mode.toString(8)).to.throw(CredentialsError, `(mode 0${mode.toString(8)}); run: chmod 600`);
      }
      expect(() => loadCredentials(write('p s', 0o400))).to.not.throw();
      expect(() => loadCredentials(write('p s', 0o700))).to.not.throw();
      const missing = path.join(dir, 'nope');
      expect(() => loadCredentials(missing)).to.throw(CredentialsError, `cannot read the credentials file ${missing}: ENOENT`);
      const e = (() => { try { loadCredentials(missing); } catch (x) { return x as Error; } return undefined; })();
      expect(e?.name).to.equal('CredentialsError');
    });

    it('encodes the header from the principal and secret as given', () => {
      expect(basicAuthorization({ principal: 'a', secret: 'b' })).to.equal('Basic YTpi');
    });
  });

  describe('RecordIO decoder', () => {
    it('takes a zero-length record, and a record whose length equals the maximum', () => {
      const d = new RecordIODecoder({ maxRecordBytes: 3 });
      expect(d.push(Buffer.from('0\n3\nabc'))).to.deep.equal([Buffer.alloc(0), Buffer.from('abc')]);
      expect(d.atRecordBoundary).to.equal(true);
      expect(() => new RecordIODecoder({ maxRecordBytes: 3 }).push(Buffer.from('4\n'))).to.throw(RecordIOError, 'record length exceeds the maximum of 3 bytes');
      expect(DEFAULT_MAX_RECORD_BYTES).to.equal(64 * 1024 * 1024);
    });

    it('allows twenty digits of length (leading zeros), not twenty-one', () => {
      const big = new RecordIODecoder({ maxRecordBytes: Number.MAX_SAFE_INTEGER });
      expect(big.push(Buffer.from(`${'0'.repeat(19)}2\nok`))).to.deep.equal([Buffer.from('ok')]);
      expect(() => big.push(Buffer.from(`${'0'.repeat(21)}`))).to.throw(RecordIOError, /exceeds the maximum/);
    });

    it('stays failed after an error, and says where a stream was cut', () => {
      const d = new RecordIODecoder();
      expect(() => d.push(Buffer.from('x'))).to.throw(RecordIOError, 'malformed RecordIO stream: unexpected byte 0x78 in record length');
      expect(() => d.push(Buffer.from('1\na'))).to.throw(RecordIOError, /0x78/);
      expect(() => d.end()).to.throw(RecordIOError, /0x78/);
      const cut = new RecordIODecoder();
      cut.push(Buffer.from('5\nab'));
      expect(cut.atRecordBoundary).to.equal(false);
      expect(() => cut.end()).to.throw(RecordIOError, 'stream ended inside a record (2 of 5 bytes of a record)');
      const inHeader = new RecordIODecoder();
      inHeader.push(Buffer.from('12'));
      expect(inHeader.atRecordBoundary).to.equal(false);
      expect(() => inHeader.end()).to.throw(RecordIOError, 'stream ended inside a record (part of a record length)');
      expect(() => new RecordIODecoder().push(Buffer.from('\n'))).to.throw(RecordIOError, 'empty record length');
      expect(() => new RecordIODecoder().push(Buffer.from('1\r\n'))).to.throw(RecordIOError, 'unexpected byte 0x0d in record length');
      expect(new RecordIOError('x').name).to.equal('RecordIOError');
    });

    it('reads a record from a Uint8Array view into a larger buffer', () => {
      const backing = new Uint8Array([0x39, 0x33, 0x0a, 0x68, 0x69, 0x21, 0x39]); // "93\nhi!9" at offset 1: "3\nhi!"
      const d = new RecordIODecoder();
      expect(d.push(backing.subarray(1, 6))).to.deep.equal([Buffer.from('hi!')]);
      expect(encodeRecord(new Uint8Array([1, 2]))).to.deep.equal(Buffer.from([0x32, 0x0a, 1, 2]));
    });
  });

  describe('codec', () => {
    it('loads the protos from the package\'s proto/ directory, and says where it looked when they are missing', () => {
      expect(protoDirectory()).to.equal(path.resolve(__dirname, '../../../proto'));
      expect(executorEventCodec.type.fullName).to.equal('.mesos.v1.executor.Event');
      expect(executorCallCodec.type.fullName).to.equal('.mesos.v1.executor.Call');
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const realFs = require('fs') as typeof fs;
      const exists = realFs.existsSync;
      realFs.existsSync = () => false;
      try {
        expect(() => protoDirectory()).to.throw(CodecError, /^Mesos \.proto files not found \(looked in \/.*proto, \/.*proto\)$/);
      } finally {
        realFs.existsSync = exists;
      }
    });

    it('maps exactly the two media types, nothing with parameters', () => {
      expect(MEDIA_TYPES).to.deep.equal({ protobuf: 'application/x-protobuf', json: 'application/json' });
      expect(encodingOfMediaType('application/json')).to.equal('json');
      expect(encodingOfMediaType('application/x-protobuf')).to.equal('protobuf');
      expect(encodingOfMediaType('application/json; charset=utf-8')).to.equal(undefined);
      expect(encodingOfMediaType(undefined)).to.equal(undefined);
    });

    it('refuses JSON that is not an object, and names the type, encoding and size', () => {
      for (const text of ['[]', 'null', '3', '"x"']) {
        expect(() => schedulerEventCodec.decode(Buffer.from(text), 'json'), text)
          .to.throw(CodecError, `cannot decode mesos.v1.scheduler.Event (json, ${text.length} bytes): not a JSON object`);
      }
      expect(new CodecError('x').name).to.equal('CodecError');
    });

    it('normalises a plain object as a round trip through the wire would', () => {
      const n = schedulerCallCodec.normalize({ type: 'REVIVE', revive: { roles: ['pi'] } });
      expect(n).to.deep.equal({ type: 'REVIVE', revive: { roles: ['pi'] } });
      expect(() => schedulerCallCodec.encode({ type: 'REVIVE', revive: { roles: 5 } } as never)).to.throw(CodecError, /^cannot encode mesos\.v1\.scheduler\.Call: /);
      const ack = schedulerCallCodec.normalize({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: Buffer.from([1]) } });
      expect(Buffer.isBuffer(ack.acknowledge!.uuid)).to.equal(true);
    });
  });
});
