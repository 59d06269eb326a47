package org.securep2p.keymanager;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** An in-memory keyring for the selection logic; the real one is exercised by KeyringMasterKeyStoreIT. */
class FakeKeyring implements KeyringAccess {

    final Map<String, String> entries = new HashMap<>();

    static MasterKeyStores.KeyringOpener unavailable() {
        return () -> {
            throw new KeyManagerException(KeyManagerException.Reason.KEYRING_UNAVAILABLE, "fake: no bus");
        };
    }

    static MasterKeyStores.KeyringOpener locked() {
        return () -> new FakeKeyring() {
            @Override
            public Optional<String> get(String service, String account) throws KeyManagerException {
                throw new KeyManagerException(KeyManagerException.Reason.KEYRING_LOCKED, "fake: locked");
            }
        };
    }

    static MasterKeyStores.KeyringOpener working() {
        FakeKeyring shared = new FakeKeyring();
        return () -> shared;
    }

    @Override
    public Optional<String> get(String service, String account) throws KeyManagerException {
        return Optional.ofNullable(entries.get(service + "/" + account));
    }

    @Override
    public void set(String service, String account, String value) throws KeyManagerException {
        entries.put(service + "/" + account, value);
    }

    @Override
    public void checkUnlocked() throws KeyManagerException {
    }

    @Override
    public String backendName() {
        return "fake";
    }

    @Override
    public void close() {
    }
}
