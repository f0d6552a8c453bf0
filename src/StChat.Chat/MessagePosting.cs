using System.Text;
using Microsoft.Extensions.Options;

namespace StChat.Chat;

// Posting a message into a conversation, shared by the WebSocket "message" action and POST .../messages: the rules
// a message and its idempotency key must follow, and the round trip through the group-commit writer.
internal sealed class MessagePosting(ChatLogWriter writer, IOptions<ChatOptions> optionsAccessor)
{
    private readonly ChatOptions options = optionsAccessor.Value;

    public const int MaxIdLength = 128;

    // Why `text` cannot be posted, or null. Size is checked separately: the socket closes with 1009 for it.
    public static string? TextProblem(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "must be a non-empty string";
        }

        return StorableText.IsValid(text)
            ? null
            : "must not contain U+0000 or unpaired surrogates (\\ud800-\\udfff alone); nothing was stored";
    }

    public bool IsTooLarge(string text) => Encoding.UTF8.GetByteCount(text) > options.MaxMessageBytes;

    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= MaxIdLength && !id.Any(char.IsControl) && StorableText.IsValid(id);

    // Stores the message (or finds the one stored earlier under the same id) and answers once it is committed.
    public async Task<PostResult> PostAsync(string room, string user, string text, string id, CancellationToken ct)
    {
        var result = await StoreAsync(new PendingEvent(room, ChatAction.Message, user, text, id, Deadline), ct);

        // The id is unique per conversation, not per user. The same text under another name is an anonymous sender
        // back with a new random name; different text from someone else means two clients picked the same id.
        return result.Event is { } stored && stored.User != user && stored.Text != text ? PostResult.Conflict(stored) : result;
    }

    // A member_added or member_removed event of a group; the membership changes in the transaction that stores it.
    public Task<PostResult> ChangeMembershipAsync(string room, ChatAction action, string by, string member, CancellationToken ct) =>
        StoreAsync(new PendingEvent(room, action, by, text: null, Guid.NewGuid().ToString("N"), Deadline, member), ct);

    private DateTime Deadline => writer.UtcNow + options.AckTimeout;

    private async Task<PostResult> StoreAsync(PendingEvent pending, CancellationToken ct)
    {
        if (!writer.TryEnqueue(pending))
        {
            return PostResult.Unavailable("The server is overloaded");
        }

        try
        {
            return PostResult.Stored(await writer.WaitForStoredAsync(pending, options.AckTimeout, ct));
        }
        catch (TimeoutException)
        {
            return PostResult.Unavailable("The chat log did not store the event in time");
        }
        catch (ChatUnavailableException)
        {
            return PostResult.Unavailable("The chat log is unavailable");
        }
    }
}

internal enum PostOutcome
{
    Stored,
    Conflict,
    Unavailable,
}

// Stored: the message's event (new, or stored earlier under the same id). Conflict: the other message holding the id.
// Unavailable: it may or may not have been stored; resending the same id is safe.
internal sealed record PostResult(PostOutcome Outcome, ChatEvent? Event, string? Why)
{
    public static PostResult Stored(ChatEvent e) => new(PostOutcome.Stored, e, null);

    public static PostResult Conflict(ChatEvent e) => new(PostOutcome.Conflict, e, null);

    public static PostResult Unavailable(string why) => new(PostOutcome.Unavailable, null, why);
}
