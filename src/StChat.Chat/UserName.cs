using System.Globalization;
using System.Text;

namespace StChat.Chat;

internal static class UserName
{
    public const int MaxLength = 40;

    private static readonly string[] FirstNames =
    [
        "Brenda", "Arthur", "Chloe", "Daniel", "Edith", "Felix", "Grace", "Harold", "Irene", "Jasper",
        "Karen", "Leonard", "Martha", "Nathan", "Olive", "Peter", "Quinn", "Rosa", "Samuel", "Tessa",
        "Ulrich", "Vera", "Walter", "Xenia", "Yusuf", "Zoe", "Agnes", "Bruno", "Clara", "Dennis",
    ];

    private static readonly string[] LastNames =
    [
        "Goodwin", "Abbott", "Barker", "Carver", "Dawson", "Ellison", "Fletcher", "Garner", "Holloway", "Ingram",
        "Jennings", "Kirby", "Lambert", "Mercer", "Norris", "Osborne", "Pearce", "Quigley", "Rowe", "Sutton",
        "Thornton", "Underwood", "Vance", "Whitaker", "Yates", "Zimmer", "Bishop", "Crane", "Doyle", "Fox",
    ];

    // A readable placeholder for clients that do not say who they are.
    public static string Random() =>
        $"{FirstNames[System.Random.Shared.Next(FirstNames.Length)]} {LastNames[System.Random.Shared.Next(LastNames.Length)]}";

    // 1-40 printable characters after trimming; control and format characters (newlines, bidi overrides) are refused
    // because the name is shown inside other people's messages.
    public static bool TryNormalize(string? raw, out string name, out string error)
    {
        name = (raw ?? "").Trim();
        error = "";
        if (name.Length == 0)
        {
            error = "name must not be empty";
            return false;
        }

        // Code points, as char_length() counts them in the chat_log CHECK constraint.
        var length = 0;
        foreach (var _ in name.EnumerateRunes())
        {
            length++;
        }

        if (length > MaxLength)
        {
            error = $"name must be at most {MaxLength} characters (got {length})";
            return false;
        }

        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
            {
                error = "name must contain printable characters only";
                return false;
            }
        }

        return true;
    }
}
