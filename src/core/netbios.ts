import { CcmlabError } from './errors';
import { escapeControl } from './text';

/**
 * Computer names as ccmsetup takes them (`--netbios`) and the fleet makes them: NetBIOS
 * names of 1 to 15 characters, here letters, digits and '-', the first a letter or digit
 * (they also name the client's directories). Windows shows them upper-case.
 */

const NETBIOS = /^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/;

export const NETBIOS_RULE = "1 to 15 letters, digits or '-', the first a letter or digit";

export function isNetbiosName(name: string): boolean {
  return NETBIOS.test(name);
}

/** `--netbios NAME` as every command takes it (it names a directory: nothing but a NetBIOS name may reach a path), upper-cased. */
export function netbiosOption(name: string): string {
  if (!isNetbiosName(name))
    throw new CcmlabError(
      'CCMLAB_E_BAD_OPTION',
      `--netbios '${escapeControl(name)}' is not a NetBIOS name: ${NETBIOS_RULE}`,
    );
  return name.toUpperCase();
}
