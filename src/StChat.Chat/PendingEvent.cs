namespace StChat.Chat;

// An event waiting for the writer. Messages carry a deadline: once it passes, the sender is told "unavailable" and
// the writer must not store the event any more, so the two race through one state word. Joins and exits have no
// deadline and are retried until stored.
internal sealed class PendingEvent(string room, ChatAction action, string user, string? text, string id, DateTime? deadline, string? member = null)
{
    private const int Waiting = 0;
    private const int Writing = 1;
    private const int Abandoned = 2;

    private int _state;

    public string Room { get; } = room;

    public ChatAction Action { get; } = action;

    public string User { get; } = user;

    public string? Text { get; } = text;

    public string Id { get; } = id;

    public DateTime? Deadline { get; } = deadline;

    // The account a member_added / member_removed event adds or removes.
    public string? Member { get; } = member;

    public TaskCompletionSource<ChatEvent> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Writer: take the event into a write attempt; false when the sender has already given up on it.
    public bool TryClaim() => Interlocked.CompareExchange(ref _state, Writing, Waiting) == Waiting;

    // Writer: the attempt failed, the event may be abandoned again.
    public void Release() => Volatile.Write(ref _state, Waiting);

    // Either side: give up unless a write attempt holds the event right now.
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting;

    public bool IsExpired(DateTime utcNow) => Deadline is { } deadline && utcNow >= deadline;
}
