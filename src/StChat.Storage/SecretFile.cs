namespace StChat.Storage;

/// <summary>Reads a secret setting's value from the file another setting names (Postgres:PasswordFile, ...).</summary>
public static class SecretFile
{
    /// <summary>
    /// The file's text without one trailing line break, as <c>echo secret &gt; file</c> and Docker secrets leave it.
    /// Throws <see cref="InvalidOperationException"/> naming <paramref name="setting"/>, never the content.
    /// </summary>
    public static string Read(string setting, string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
                : text.EndsWith('\n') ? text[..^1]
                : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidOperationException(
                $"{setting} is '{path}', which cannot be read: {e.Message} (relative paths start at {Environment.CurrentDirectory}).", e);
        }
    }
}
