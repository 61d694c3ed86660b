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
