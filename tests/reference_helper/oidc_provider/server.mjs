// An independent OIDC server for the reference helper's tests: npm `oidc-provider` (certified) on
// loopback with its development interactions (login + consent forms) and the device flow (RFC 8628). Prints "READY <issuer>" once
// listening. Environment: OP_TLS_KEY / OP_TLS_CERT (PEM paths) for HTTPS, OP_CLIENT_ID.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import Provider from 'oidc-provider';

const tls = process.env.OP_TLS_KEY && process.env.OP_TLS_CERT;
const server = tls
  ? https.createServer({ key: fs.readFileSync(process.env.OP_TLS_KEY), cert: fs.readFileSync(process.env.OP_TLS_CERT) })
  : http.createServer();

server.listen(0, '127.0.0.1', () => {
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.OP_CLIENT_ID || 'ccwb-test-client',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'], // native loopback: any port (RFC 8252 §7.3)
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, email: `${id}@example.com`, email_verified: true }; } };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});
