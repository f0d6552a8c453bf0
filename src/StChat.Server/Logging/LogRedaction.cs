using System.Text.RegularExpressions;

namespace StChat.Server.Logging;

// What the redacting logger takes out of every log line: the value of Password=, Passwd=, Pwd=, Psw=, Token= and
// access_token= key-values (connection strings, URLs' query strings; quoted values as Npgsql writes them, otherwise up
// to ';', '&' or the end of the line) and the credential after "Bearer ". A value already masked ("Password = ***", as the options
// records print themselves) is left alone. Redacting too much of a line is the safe side.
internal static partial class LogRedaction
{
    public const string Mask = "***";

    public static string Redact(string text) =>
        text.Length == 0 || !Candidate().IsMatch(text) ? text : Secrets().Replace(text, m => m.Groups["key"].Value + Mask);

    [GeneratedRegex("password|passwd|pwd|psw|token|bearer", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Candidate();

    [GeneratedRegex("""
        (?<key>\b(?:password|passwd|pwd|psw|access_token|token)\s*=\s*)(?!\*\*\*)(?:"(?:[^"]|"")*"|'(?:[^']|'')*'|[^;&\r\n]*)
        |(?<key>\bbearer\s+)[^\s"',;]+
        """, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Secrets();
}
