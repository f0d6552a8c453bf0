using Microsoft.Extensions.Options;

namespace StChat.Server.Tls;

// Checks the Chat:Tls section before Kestrel loads the certificate, naming the setting and the fix for each problem.
internal sealed class ChatTlsOptionsValidator : IValidateOptions<ChatTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatTlsOptions options)
    {
        var errors = new List<string>();
        if (options.CertificatePath is null)
        {
            if (options.KeyPath is not null || options.Password is not null || options.PasswordFile is not null)
            {
                errors.Add("Chat:Tls:KeyPath, Password and PasswordFile need Chat:Tls:CertificatePath; set the certificate file too.");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        CheckFile(errors, "Chat:Tls:CertificatePath", options.CertificatePath);
        CheckFile(errors, "Chat:Tls:KeyPath", options.KeyPath);
        CheckFile(errors, "Chat:Tls:PasswordFile", options.PasswordFile);
        if (options.Password is not null && options.PasswordFile is not null)
        {
            errors.Add("Chat:Tls:Password and Chat:Tls:PasswordFile are both set; keep one.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckFile(List<string> errors, string setting, string? path)
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
