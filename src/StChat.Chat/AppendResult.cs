namespace StChat.Chat;

// Results[i] answers batch[i] (the new event, or the one stored earlier under the same id); Inserted holds only the
// events this transaction added, in seq order per room, for the fan-out.
internal sealed record AppendResult(ChatEvent[] Results, List<ChatEvent> Inserted);
