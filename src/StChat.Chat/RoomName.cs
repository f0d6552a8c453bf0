using System.Text.RegularExpressions;

namespace StChat.Chat;

internal static partial class RoomName
{
    public static bool IsValid(string? room) => room is not null && Pattern().IsMatch(room);

    // The same rule as the chat_room CHECK constraint.
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
