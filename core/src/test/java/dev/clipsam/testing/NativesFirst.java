package dev.clipsam.testing;

import dev.clipsam.nn.Natives;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Loads the bundled natives before any test class touches JavaCPP, as the CLI and the library entry points do. */
public final class NativesFirst implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Natives.load();
    }
}
