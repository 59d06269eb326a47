package org.securep2p.app.tui;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.google.zxing.qrcode.encoder.ByteMatrix;
import com.google.zxing.qrcode.encoder.Encoder;

/**
 * A QR code as rows of text: each text row holds two module rows, drawn with the half blocks '▀' '▄' '█'.
 * A block marks a light module, so the painter draws these rows white on black and the code has the right
 * polarity on dark and light terminal themes alike.
 *
 * <p>Not its job: deciding whether the code fits on the screen.
 */
final class QrBlocks {

    /**
     * Light modules around the symbol. The standard asks for four; two keep a 200-character connection code
     * within a 60-column terminal, and phone scanners read it reliably when the painter draws it explicitly.
     */
    static final int QUIET_ZONE = 2;

    private QrBlocks() {
    }

    /** The rows for {@code content}; all of the same length. */
    static List<String> render(String content, ErrorCorrectionLevel level) {
        ByteMatrix matrix;
        try {
            matrix = Encoder.encode(content, level, Map.of(EncodeHintType.CHARACTER_SET, "UTF-8")).getMatrix();
        } catch (WriterException e) {
            throw new IllegalArgumentException("cannot encode as a QR code: " + e.getMessage(), e);
        }
        int size = matrix.getWidth() + 2 * QUIET_ZONE;
        List<String> rows = new ArrayList<>();
        for (int y = 0; y < size; y += 2) {
            StringBuilder row = new StringBuilder(size);
            for (int x = 0; x < size; x++) {
                boolean top = light(matrix, x, y);
                boolean bottom = y + 1 >= size || light(matrix, x, y + 1);
                row.append(top ? (bottom ? '█' : '▀') : (bottom ? '▄' : ' '));
            }
            rows.add(row.toString());
        }
        return rows;
    }

    private static boolean light(ByteMatrix matrix, int x, int y) {
        int mx = x - QUIET_ZONE;
        int my = y - QUIET_ZONE;
        if (mx < 0 || my < 0 || mx >= matrix.getWidth() || my >= matrix.getHeight()) {
            return true;
        }
        return matrix.get(mx, my) != 1;
    }
}
