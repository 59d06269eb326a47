package org.securep2p.app.org;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The two folders of a home that an organisation CA's files live in, as {@link OrganisationCa} needs them: the
 * home's {@code root} (the CA's own files go under {@code root/ca/}) and its {@code cert} folder (the CA
 * certificate and revocation list, beside the transport certificate, where a member keeps their copies).
 *
 * <p>Guarantees: both paths are absolute and normalized. Not its job: the rest of the home's layout, or creating
 * the folders; {@code org.securep2p.app.Home#caFolders()} makes one, so this package need not know {@code Home}.
 */
public record CaFolders(Path root, Path cert) {

    public CaFolders {
        root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        cert = Objects.requireNonNull(cert, "cert").toAbsolutePath().normalize();
    }
}
