package org.securep2p.relay;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The client key manager of a member (PROTOCOL.md §23.2): one alias, the member certificate, offered whenever a
 * relay asks for an Ed25519 client certificate, with a {@link DelegatedSigning} key in place of the private key.
 * Never a server key.
 */
final class MemberKeyManager extends X509ExtendedKeyManager {

    static final String ALIAS = "member";
    private static final String KEY_TYPE = "Ed25519";

    private final MemberCredential credential;
    private final PrivateKey key;

    MemberKeyManager(MemberCredential credential) {
        this.credential = credential;
        this.key = DelegatedSigning.key(credential.signer());
    }

    private static String choose(String[] keyTypes) {
        return keyTypes != null && Arrays.stream(keyTypes).anyMatch(KEY_TYPE::equalsIgnoreCase) ? ALIAS : null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return choose(keyTypes);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return choose(keyTypes);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return KEY_TYPE.equalsIgnoreCase(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? credential.chain() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
