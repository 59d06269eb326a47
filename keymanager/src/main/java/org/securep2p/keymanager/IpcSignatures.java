package org.securep2p.keymanager;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.HybridSignature;
import org.securep2p.crypto.StrictReader;
import org.securep2p.crypto.StrictWriter;

/**
 * A temporary bridge to {@link HybridSignature}'s own wire form ({@code ed25519[64] || u16 falconLength ||
 * falcon}), whose reader and writer core-crypto keeps package-private. It calls exactly those two methods, so
 * the bytes on the IPC are the ones core-crypto's strict parser defines and checks; nothing here parses a
 * signature itself.
 *
 * <p>To remove: once core-crypto offers a public {@code HybridSignature.encode()} and {@code decode(byte[])},
 * call them instead and delete this class. Signatures are public values, so no secret passes through here.
 */
final class IpcSignatures {

    private static final Method READ;
    private static final Method WRITE;

    static {
        try {
            READ = HybridSignature.class.getDeclaredMethod("read", StrictReader.class, String.class);
            WRITE = HybridSignature.class.getDeclaredMethod("write", StrictWriter.class);
            READ.setAccessible(true);
            WRITE.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("core-crypto's HybridSignature codec is not where expected: " + e);
        }
    }

    private IpcSignatures() {
    }

    static HybridSignature read(StrictReader r) throws CryptoException {
        try {
            return (HybridSignature) READ.invoke(null, r, "transcript signature");
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof CryptoException) {
                throw (CryptoException) e.getCause();
            }
            throw new IllegalStateException("HybridSignature.read failed", e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("HybridSignature.read not accessible", e);
        }
    }

    static void write(StrictWriter w, HybridSignature signature) {
        try {
            WRITE.invoke(signature, w);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("HybridSignature.write failed", e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("HybridSignature.write not accessible", e);
        }
    }
}
