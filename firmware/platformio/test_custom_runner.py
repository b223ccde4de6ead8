"""PlatformIO's custom test runner for the Spikey C API's tests (test_spikey_api.c): each
line "PASS name" or "FAIL name: reason" is a test case, "DONE n" ends the suite. Needs no
test framework from the registry."""
import click
from platformio.public import TestCase, TestRunnerBase, TestStatus


class CustomTestRunner(TestRunnerBase):
    def on_testing_line_output(self, line):
        if self.options.verbose:
            click.echo(line, nl=False)
        line = line.strip()
        if line.startswith(("PASS ", "FAIL ")):
            name, _, why = line[5:].partition(": ")
            status = TestStatus.PASSED if line.startswith("PASS") else TestStatus.FAILED
            case = TestCase(name=name, status=status, message=why or None)
            self.test_suite.add_case(case)
            click.echo(case.humanize())
        elif line.startswith("DONE"):
            self.test_suite.on_finish()
