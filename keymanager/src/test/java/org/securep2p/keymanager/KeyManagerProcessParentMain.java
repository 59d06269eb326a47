package org.securep2p.keymanager;

import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * A stand-in for the app in {@link KeyManagerProcessIT}: starts a key manager, prints its pid and waits to be
 * killed, so the test can check that the child does not outlive a parent that dies without cleaning up.
 */
final class KeyManagerProcessParentMain {

    private KeyManagerProcessParentMain() {
    }

    public static void main(String[] args) throws Exception {
        KeyManagerProcess p = KeyManagerProcess.start(Path.of(args[0]), new SecureRandom());
        System.out.println(p.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // a parent that lives until the test kills it, to see its child follow
    }
}
