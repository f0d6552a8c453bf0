using Microsoft.Extensions.Options;

namespace StChat.Messaging;

/// <summary>Checks the <c>Nats</c> section at start, naming the setting and the fix for each problem.</summary>
internal sealed class NatsOptionsValidator : IValidateOptions<NatsOptions>
{
    public ValidateOptionsResult Validate(string? name, NatsOptions options)
    {
        var errors = new List<string>();
        var servers = NatsUrl.TryParse(options.Url, out var urlError);
        if (urlError is not null)
        {
            errors.Add(urlError);
        }

        if (string.IsNullOrWhiteSpace(options.Name))
        {
            errors.Add("Nats:Name is empty; set a client name such as \"stchat\".");
        }

        if (options.Password is not null && options.PasswordFile is not null)
        {
            errors.Add("Nats:Password and Nats:PasswordFile are both set; keep one.");
        }

        if (options.Token is not null && options.TokenFile is not null)
        {
            errors.Add("Nats:Token and Nats:TokenFile are both set; keep one.");
        }

        if (options.User is not null != (options.Password ?? options.PasswordFile) is not null)
        {
            errors.Add("Nats:User and Nats:Password go together (the password may come from Nats:PasswordFile); set both or neither.");
        }

        var methods = new List<string>();
        if (options.User is not null || servers?.User is not null)
        {
            methods.Add("Nats:User/Nats:Password");
        }

        if (options.Token is not null || options.TokenFile is not null || servers?.Token is not null)
        {
            methods.Add("Nats:Token");
        }

        if (options.NKeySeedFile is not null)
        {
            methods.Add("Nats:NKeySeedFile");
        }

        if (options.CredsFile is not null)
        {
            methods.Add("Nats:CredsFile");
        }

        if (methods.Count > 1)
        {
            errors.Add($"{string.Join(" and ", methods)} are both set (credentials in Nats:Url count too); a server " +
                "accepts one way of authenticating, so keep one.");
        }

        CheckReadable(errors, "Nats:PasswordFile", options.PasswordFile);
        CheckReadable(errors, "Nats:TokenFile", options.TokenFile);
        SettingFile.Check(errors, "Nats:NKeySeedFile", options.NKeySeedFile);
        SettingFile.Check(errors, "Nats:CredsFile", options.CredsFile);
        SettingFile.Check(errors, "Nats:Tls:CaFile", options.Tls.CaFile);
        SettingFile.Check(errors, "Nats:Tls:CertFile", options.Tls.CertFile);
        SettingFile.Check(errors, "Nats:Tls:KeyFile", options.Tls.KeyFile);
        if (options.Tls.CertFile is not null != options.Tls.KeyFile is not null)
        {
            errors.Add("Nats:Tls:CertFile and Nats:Tls:KeyFile go together: a client certificate needs its key.");
        }

        if (options.PingInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Nats:PingInterval is {options.PingInterval}; set it to at least 00:00:01 (default 00:00:10).");
        }

        if (options.ReconnectWait <= TimeSpan.Zero || options.ReconnectWaitMax < options.ReconnectWait)
        {
            errors.Add($"Nats:ReconnectWait ({options.ReconnectWait}) must be positive and no more than " +
                $"Nats:ReconnectWaitMax ({options.ReconnectWaitMax}) (defaults 00:00:01 and 00:00:05).");
        }

        if (options.MaxReconnectAttempts < -1)
        {
            errors.Add($"Nats:MaxReconnectAttempts is {options.MaxReconnectAttempts}; use -1 to reconnect forever or a " +
                "number of attempts.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // A secret file is read at connect time; reading it here as well turns a missing or unreadable one into an error
    // that names the setting. The content is neither kept nor shown.
    private static void CheckReadable(List<string> errors, string setting, string? path)
    {
        SettingFile.Check(errors, setting, path);
        if (!string.IsNullOrWhiteSpace(path) && File.Exists(path))
        {
            try
            {
                using var stream = File.OpenRead(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{setting} is '{path}', which cannot be read: {e.Message}");
            }
        }
    }
}
