using System.Text.RegularExpressions;

namespace StChat.Chat.Accounts;

// Account names: 2-32 characters of A-Z a-z 0-9 _ . -, unique without regard to case (the account_name_key index).
internal static partial class AccountName
{
    public const int MinLength = 2;
    public const int MaxLength = 32;

    public const string Rule = "a name is 2-32 characters of A-Z, a-z, 0-9, '_', '.' or '-'";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    // The form names are compared and keyed in (dm:<a>:<b>, the unique index).
    public static string Key(string name) => name.ToLowerInvariant();

    public static bool SameAccount(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    // The same rule as the account_name_is_valid CHECK constraint.
    [GeneratedRegex("^[A-Za-z0-9_.-]{2,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
