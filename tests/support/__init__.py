"""What the tests share (no tests here).

- ``cli``: the command line run in this process (``invoke``) or in a child process (``run_cli``,
  ``start_cli``).
- ``emulator``: emulated orgs, started in this process or served by a child process, and clients and
  providers connected to them; a pytest plugin (``tests/conftest.py`` loads it) for its fixtures.
- ``scenario``: an org whose convergence touches every kind, configurations pointing at orgs, and what a
  test observes of a run (files written, the journal, what a plan still holds).
- ``fakes``: in-memory doubles of a provider and a state backend.
- ``corpus``: the broken configurations of ``tests/bad_inputs/config/`` and what each must produce.
"""
