"""Every check validation makes: its name, severity, and the sentence that tells the user how to fix it.

Checks come from the OpenAI cookbook's chat fine-tuning data-preparation procedure (the first group)
and from what we have seen make fine-tunes fail or disappoint (the rest). Code that finds a problem
refers to a check by name; the text lives here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: Findings kept per check; counts stay exact beyond it (a 2 GB file of bad lines must not fill memory).
MAX_FINDINGS_PER_CHECK = 200


class Severity(str, Enum):
    ERROR = "error"  # the provider would reject the file, or the example cannot train anything
    WARNING = "warning"  # the data can be used, but probably not as the user meant


E, W = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    title: str
    how_to_fix: str
    file_level: bool = False  # concerns the whole file, not one example


_ALL = [
    # The cookbook's format checks.
    Check("data_type", E, "Record is not a JSON object",
          "Each line must be one JSON object such as {\"messages\": [...]}."),
    Check("missing_messages_list", E, "No \"messages\" list",
          "Add a \"messages\" list of {\"role\", \"content\"} objects to this example."),
    Check("message_missing_key", E, "A message lacks \"role\" or \"content\"",
          "Give every message a \"role\" and a \"content\" (assistant messages with tool_calls may omit content)."),
    Check("message_unrecognized_key", E, "A message has an unrecognized key",
          "Remove the key, or rename it to one of role, content, name, weight, tool_calls, tool_call_id."),
    Check("unrecognized_role", E, "A message has an unrecognized role",
          "Use one of the roles system, developer, user, assistant or tool."),
    Check("missing_content", E, "Content is missing or not a string",
          "Make \"content\" a string (or a list of {\"type\": \"text\", \"text\": ...} parts)."),
    Check("example_missing_assistant_message", E, "No assistant message",
          "Add at least one assistant message: it is what the model learns to write."),
    # The cookbook also counts these: such examples train, but rarely as the user meant.
    Check("missing_system_message", W, "No system message, where other examples have one",
          "Give this example the system message the others have: the model learns to behave differently "
          "with and without one."),
    Check("missing_user_message", W, "No user message",
          "Add the user turn that the reply answers: without one the model learns to speak unprompted."),
    # Reading the file.
    Check("invalid_json", E, "Invalid JSON",
          "Fix the JSON on this line (each line must be one complete JSON object), or drop the line."),
    Check("encoding", E, "Not valid UTF-8",
          "Save the file as UTF-8 (for example with your editor's 'Save with encoding' command)."),
    Check("byte_order_mark", W, "The file starts with a byte-order mark",
          "Save the file as UTF-8 without BOM; the app removes it when it prepares the upload.", True),
    Check("unreadable", E, "The file or dataset cannot be read",
          "Write the file or dataset again (it may be incomplete or damaged), or choose another one.", True),
    Check("empty_file", E, "The file has no examples",
          "Choose a file that contains examples.", True),
    Check("blank_line", W, "Blank line",
          "Remove blank lines; they are skipped."),
    Check("line_too_long", E, "Line too long to read",
          "Split the line into examples of one JSON object per line, or shorten it. A line this long is often "
          "a file whose line breaks were lost."),
    Check("extra_cells", W, "More cells than the header has columns",
          "Quote cells that contain the delimiter (\"a, b\"), or name the extra columns in the header."),
    Check("unsupported_format", E, "Not in a supported shape",
          "Choose the right format in 'Format', or map the columns."),
    Check("missing_field", E, "A required field is missing or empty",
          "Fill in the field named in the message, or drop the example."),
    # Content checks.
    Check("duplicate", W, "Exact duplicate of an earlier example",
          "Remove the duplicate, or tick 'Remove duplicates' when preparing the data."),
    Check("too_long", W, "Longer than the model's context",
          "Shorten the example or split it: tokens beyond the context length are cut off in training."),
    Check("all_weights_zero", E, "Every assistant turn has weight 0",
          "Set \"weight\": 1 on at least one assistant message, or the example trains nothing."),
    Check("invalid_weight", E, "Weight is not 0 or 1",
          "Set \"weight\" to 0 or 1, and only on assistant messages."),
    Check("tool_call_without_result", E, "A tool call has no matching tool result",
          "Follow each assistant tool call with a {\"role\": \"tool\", \"tool_call_id\": ...} message."),
    Check("tool_result_without_call", E, "A tool result answers no tool call",
          "Give the tool message the id of an earlier assistant tool call in \"tool_call_id\"."),
    Check("invalid_tools", E, "\"tools\" is not a list of function definitions",
          "Make \"tools\" a list of {\"type\": \"function\", \"function\": {\"name\": ...}} objects."),
    Check("identical_preference", E, "Preferred and non-preferred outputs are identical",
          "Make the two outputs differ; an identical pair teaches the model nothing."),
    Check("mixed_methods", E, "Preference pairs and plain chats are mixed",
          "Keep DPO pairs and supervised chats in separate files.", True),
    Check("unsupported_by_provider", E, "This provider cannot train on this kind of data",
          "Choose a Hugging Face provider for plain text, or convert the data to chat examples.", True),
    Check("too_few_examples", E, "Too few examples for this provider",
          "Add examples until you reach the provider's minimum (50 to 100 well-chosen ones work best).", True),
    Check("cancelled", W, "Validation was cancelled", "Validate again to see every finding.", True),
]

CHECKS: dict[str, Check] = {c.name: c for c in _ALL}
