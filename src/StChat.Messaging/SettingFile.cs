namespace StChat.Messaging;

/// <summary>The start-up check of a setting that names a file (certificates, keys, secrets).</summary>
public static class SettingFile
{
    /// <summary>Adds an error naming <paramref name="setting"/> when it is set but empty or names no existing file.</summary>
    public static void Check(List<string> errors, string setting, string? path)
    {
        if (path is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{setting} is empty; remove it or set the path of the file.");
        }
        else if (!File.Exists(path))
        {
            errors.Add($"{setting} is '{path}', which does not exist (relative paths start at {Environment.CurrentDirectory}).");
        }
    }
}
