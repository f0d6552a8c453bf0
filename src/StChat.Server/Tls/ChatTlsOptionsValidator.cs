using Microsoft.Extensions.Options;
using StChat.Messaging;

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

        SettingFile.Check(errors, "Chat:Tls:CertificatePath", options.CertificatePath);
        SettingFile.Check(errors, "Chat:Tls:KeyPath", options.KeyPath);
        SettingFile.Check(errors, "Chat:Tls:PasswordFile", options.PasswordFile);
        if (options.Password is not null && options.PasswordFile is not null)
        {
            errors.Add("Chat:Tls:Password and Chat:Tls:PasswordFile are both set; keep one.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
