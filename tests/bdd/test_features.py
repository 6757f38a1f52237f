"""Every scenario of features/**/*.feature (and of G2A_FEATURES folders), with no other binding.

The steps come from the g2a_bdd plugin; `g2a-harness steps` lists them.
"""

from pytest_bdd import scenarios

from harness.bdd.discovery import feature_dirs

scenarios(*feature_dirs())
