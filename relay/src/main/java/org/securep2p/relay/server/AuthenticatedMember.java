package org.securep2p.relay.server;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The member a connection to an organisation relay authenticated as in mutual TLS (PROTOCOL.md §23.1): the
 * certificate's name, the certified identity's fingerprint, the serial and the certificate's DER. Only made by
 * the relay from a certificate that passed the CA's checks.
 */
@SuppressWarnings("ArrayRecordComponent") // copied in and out
record AuthenticatedMember(String name, byte[] fingerprint, BigInteger serial, byte[] certificate) {

    AuthenticatedMember {
        fingerprint = fingerprint.clone();
        certificate = certificate.clone();
    }

    @Override
    public byte[] fingerprint() {
        return fingerprint.clone();
    }

    @Override
    public byte[] certificate() {
        return certificate.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthenticatedMember other && name.equals(other.name)
                && java.security.MessageDigest.isEqual(fingerprint, other.fingerprint) && serial.equals(other.serial);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(fingerprint);
    }

    @Override
    public String toString() {
        return name + " (" + HexFormat.of().formatHex(fingerprint, 0, 4) + "…, serial " + serial.toString(16) + ")";
    }
}
