using System.Security.Cryptography;
using System.Text.RegularExpressions;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// The key of a conversation, which is also its chat_room.room and the "room" of every frame:
//   lobby            a public room, anyone may join;
//   dm:ann:bob       the direct conversation of two accounts, names lowercased and sorted;
//   group:<20 hex>   a group, private to its members.
internal readonly partial record struct ConversationKey
{
    private const string DirectPrefix = "dm:";
    private const string GroupPrefix = "group:";

    private ConversationKey(string value, ConversationKind kind)
    {
        Value = value;
        Kind = kind;
    }

    public string Value { get; }

    public ConversationKind Kind { get; }

    public bool IsPrivate => Kind != ConversationKind.Public;

    public static bool TryParse(string? value, out ConversationKey key)
    {
        key = default;
        if (value is null)
        {
            return false;
        }

        if (RoomName.IsValid(value))
        {
            key = new ConversationKey(value, ConversationKind.Public);
            return true;
        }

        if (DirectPattern().Match(value) is { Success: true } direct
            && string.CompareOrdinal(direct.Groups[1].Value, direct.Groups[2].Value) < 0)
        {
            key = new ConversationKey(value, ConversationKind.Direct);
            return true;
        }

        if (GroupPattern().IsMatch(value))
        {
            key = new ConversationKey(value, ConversationKind.Group);
            return true;
        }

        return false;
    }

    public static ConversationKey Public(string room) =>
        RoomName.IsValid(room) ? new ConversationKey(room, ConversationKind.Public) : throw new ArgumentException($"'{room}' is not a room name.", nameof(room));

    // Exactly one key per pair, whichever of the two asks. Null for a conversation with oneself.
    public static ConversationKey? Direct(string a, string b)
    {
        var (x, y) = (AccountName.Key(a), AccountName.Key(b));
        return string.CompareOrdinal(x, y) switch
        {
            < 0 => new ConversationKey($"{DirectPrefix}{x}:{y}", ConversationKind.Direct),
            > 0 => new ConversationKey($"{DirectPrefix}{y}:{x}", ConversationKind.Direct),
            _ => null,
        };
    }

    public static ConversationKey Group(string id) =>
        TryParse(GroupPrefix + id, out var key) && key.Kind == ConversationKind.Group
            ? key
            : throw new ArgumentException($"'{id}' is not a group id.", nameof(id));

    public static ConversationKey NewGroup() =>
        new(GroupPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)), ConversationKind.Group);

    // The id in /groups/{id}.
    public string GroupId => Kind == ConversationKind.Group ? Value[GroupPrefix.Length..] : throw new InvalidOperationException($"{Value} is not a group.");

    // The other account of a direct conversation, as a key (lowercase).
    public string OtherParticipant(string me)
    {
        if (Kind != ConversationKind.Direct)
        {
            throw new InvalidOperationException($"{Value} is not a direct conversation.");
        }

        var names = Value[DirectPrefix.Length..].Split(':');
        return AccountName.SameAccount(names[0], me) ? names[1] : names[0];
    }

    public override string ToString() => Value;

    [GeneratedRegex("^dm:([a-z0-9_.-]{2,32}):([a-z0-9_.-]{2,32})$", RegexOptions.CultureInvariant)]
    private static partial Regex DirectPattern();

    [GeneratedRegex("^group:[0-9a-f]{20}$", RegexOptions.CultureInvariant)]
    private static partial Regex GroupPattern();
}
