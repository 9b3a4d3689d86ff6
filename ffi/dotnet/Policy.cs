// SPDX-License-Identifier: Apache-2.0
// Policy.cs - a snapshot of a team's policy (casescribe_policy) and bundle signing.
using System;

namespace CaseScribe
{
    /// <summary>
    /// The policy in force for a team when <see cref="Context.TeamPolicy"/>
    /// was called; later changes do not touch it.
    /// </summary>
    public sealed class Policy : NativeObject
    {
        internal Policy(PolicyHandle handle) : base(handle) { }

        public string Team { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_policy_team(p))); } }
        /// <summary>The version; 0 for the defaults.</summary>
        public uint Version { get { return Use(p => NativeMethods.casescribe_policy_version(p)); } }
        public PolicyState State { get { return Use(p => (PolicyState)Library.Check(NativeMethods.casescribe_policy_state(p))); } }
        /// <summary>For a refused policy, why the file was not used; null otherwise.</summary>
        public string Problem { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_policy_problem(p))); } }
        /// <summary>"sha256:..." of the signed file; null for the defaults.</summary>
        public string Digest { get { return Use(p => Utf8.FromNative(NativeMethods.casescribe_policy_digest(p))); } }

        /// <summary>Whether a feature ("ai-draft", "transcription", ...) is on. ENOTFOUND for an unknown one.</summary>
        public bool IsOn(string feature)
        {
            return Use(p => Library.Check(NativeMethods.casescribe_policy_feature(p, feature)) == 1);
        }

        /// <summary>A feature or setting as text ("on", "30", "embedded", endpoints).</summary>
        public string Setting(string key)
        {
            return Use(p => {
                IntPtr value;
                Library.Check(NativeMethods.casescribe_policy_setting(out value, p, key));
                return Utf8.TakeString(value);
            });
        }

        /// <summary>
        /// Signs a policy bundle with the admin's Ed25519 private key (a PKCS#8
        /// PEM file of mode 0600) and returns the signed bundle.
        /// </summary>
        public static byte[] SignBundle(byte[] bundle, string adminKeyPath)
        {
            Library.EnsureAbi();
            IntPtr output;
            UIntPtr length;
            Library.Check(NativeMethods.casescribe_policy_bundle_sign(out output, out length, bundle, Utf8.Len(bundle),
                adminKeyPath));
            return Utf8.TakeBytes(output, length);
        }
    }
}
