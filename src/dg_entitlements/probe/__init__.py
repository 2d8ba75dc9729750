"""The probe runner: the only part of the suite that does network I/O."""
