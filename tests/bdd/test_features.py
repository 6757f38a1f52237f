"""Every scenario of features/**/*.feature (and of G2A_FEATURES folders), with no other binding.

The steps come from the harness's plugin (`-p harness.bdd.plugin`, in the pyproject's addopts);
`g2a-harness steps` lists them.
"""

from pytest_bdd import scenarios

from harness.bdd.check import runnable_feature_files

scenarios(*runnable_feature_files())
