import type * as crypto from 'node:crypto';
import * as path from 'node:path';
import { directoryChanges, type ChangeStamp } from '../store/directory-changes';
import { PKI_DIR, pkiFileNames, type Site, type SiteCertificate, type SiteCertificateName } from './site-dir';
import type { TokenSigner, TokenVerifier } from './token-service';

/**
 * What the running site makes from its PKI files (keys, certificates, and what is built from
 * them), kept until a file may have changed: reading, parsing and checking a key pair costs
 * milliseconds, more than most requests. `site certs renew` replaces a file, which the
 * running site sees at its next use (store/directory-changes.ts), so a renewed certificate
 * still reaches the next connection and a renewed signing key the next token.
 */

export interface TlsCredential {
  key: string;
  cert: string;
}

export class SiteCredentials {
  private readonly changes: ChangeStamp;
  private readonly made = new Map<string, { stamp: string; value: unknown }>();

  constructor(readonly site: Site) {
    this.changes = directoryChanges(path.join(site.dir, PKI_DIR), pkiFileNames());
  }

  /** `make`'s value, made again only when a PKI file may have changed since it was made. A throw is not kept. */
  derived<T>(key: string, make: () => T): T {
    const stamp = this.changes.stamp();
    const last = this.made.get(key);
    if (last?.stamp === stamp) return last.value as T;
    const value = make();
    this.made.set(key, { stamp, value });
    return value;
  }

  certificate(name: SiteCertificateName): SiteCertificate {
    return this.derived(`certificate:${name}`, () => this.site.certificate(name));
  }

  certificatePem(name: SiteCertificateName): string {
    return this.derived(`pem:${name}`, () => this.site.certificatePem(name));
  }

  privateKey(name: SiteCertificateName): crypto.KeyObject {
    return this.derived(`key:${name}`, () => this.site.privateKey(name));
  }

  /** The token signing keys, checked as a pair. */
  tokenKeys(): { signer: TokenSigner; verifier: TokenVerifier } {
    return this.derived('token-keys', () => ({ signer: this.site.tokenSigner(), verifier: this.site.tokenVerifier() }));
  }

  /**
   * A TLS listener's key and certificate: the same object while they are unchanged (the
   * listener keeps its secure context, and so its session tickets, for as long). A pair that
   * cannot be read is refused at start; later, the pair in use is kept and `onStale` told once
   * per change.
   */
  tls(name: 'role-ssl' | 'cmg', onStale: (error: Error) => void): TlsCredential {
    const key = `tls:${name}`;
    const last = this.made.get(key) as { stamp: string; value: TlsCredential } | undefined;
    return this.derived(key, () => {
      let credential: { certificatePem: string; keyPem: string };
      try {
        credential = this.site.credential(name);
      } catch (error) {
        if (!last) throw error;
        onStale(error as Error);
        return last.value;
      }
      const same = last?.value.cert === credential.certificatePem && last.value.key === credential.keyPem;
      return same ? last.value : { key: credential.keyPem, cert: credential.certificatePem };
    });
  }
}
