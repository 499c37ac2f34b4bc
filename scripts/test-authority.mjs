// A certificate authority made for one test run, and a certificate it signed for 127.0.0.1 and
// localhost. Some vendors' official SDKs accept only wss:// endpoints (AssemblyAI's streaming
// transcriber, OpenAI's Realtime client), so their local stand-ins in the tests must speak TLS; the
// test processes trust this authority through NODE_EXTRA_CA_CERTS, which Node reads at start, and
// nothing else trusts it. Made with Debian's openssl (installed by scripts/setup.mjs --test-deps);
// EC keys, valid two days, in a fresh temporary folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function openssl(args, cwd) {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.error?.message ?? result.stderr.trim()}`);
}

/**
 * The folder's `ca.pem` (the authority), `cert.pem` and `key.pem` (the loopback server's), and
 * `trusted.pem`: the authority after the certificates the environment already added through
 * NODE_EXTRA_CA_CERTS (a proxy's, say), which the test processes must go on trusting: npm, run by
 * the packaging test, fetched through such a proxy only now and then once they were replaced.
 */
export function makeTestAuthority() {
  const dir = mkdtempSync(join(tmpdir(), 'voicesocket-test-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=voicesocket test authority'], dir);
  openssl(['req', ...ec, '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'server.ext'],
    dir,
  );
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const inherited = extra && existsSync(extra) ? `${readFileSync(extra, 'utf8').trimEnd()}\n` : '';
  writeFileSync(join(dir, 'trusted.pem'), inherited + readFileSync(join(dir, 'ca.pem'), 'utf8'));
  return dir;
}
