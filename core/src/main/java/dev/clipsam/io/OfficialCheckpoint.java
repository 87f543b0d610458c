package dev.clipsam.io;

import java.util.Locale;

/**
 * The official checkpoints ClipSAM runs on: where their authors publish them and their SHA-256 (the CLIP digest is
 * part of OpenAI's download address; the SAM digests are those of the files at Meta's addresses).
 */
public enum OfficialCheckpoint {
    CLIP("clip", "ViT-L-14-336px.pt", "https://openaipublic.azureedge.net/clip/models/"
            + "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02/ViT-L-14-336px.pt",
            "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02"),
    SAM_VIT_H("sam-vit-h", "sam_vit_h_4b8939.pth", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
            "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e"),
    SAM_VIT_L("sam-vit-l", "sam_vit_l_0b3195.pth", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
            "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622"),
    SAM_VIT_B("sam-vit-b", "sam_vit_b_01ec64.pth", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
            "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912");

    private final String id;
    private final String fileName;
    private final String url;
    private final String sha256;

    OfficialCheckpoint(String id, String fileName, String url, String sha256) {
        this.id = id;
        this.fileName = fileName;
        this.url = url;
        this.sha256 = sha256;
    }

    /** The name {@code clipsam fetch} takes. */
    public String id() {
        return id;
    }

    public String fileName() {
        return fileName;
    }

    public String url() {
        return url;
    }

    public String sha256() {
        return sha256;
    }

    public static OfficialCheckpoint parse(String id) {
        for (OfficialCheckpoint c : values()) {
            if (c.id.equals(id.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown checkpoint '" + id + "' (clip, sam-vit-h, sam-vit-l or sam-vit-b)");
    }

    /** How to get the file: for messages about a missing checkpoint. */
    public String howToGet() {
        return "get it with 'clipsam fetch " + id + "', or download " + url + " (SHA-256 " + sha256 + ")";
    }
}
