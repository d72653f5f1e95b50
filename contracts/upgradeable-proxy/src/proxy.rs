//! The proxy contract.

use alloc::vec::Vec;

use abi::proxy::{
    IUpgradeableProxy::{
        AdminChanged, ProxyInvalidAdmin, ProxyInvalidImplementation, ProxyNonPayable,
        ProxyUnauthorized, Upgraded,
    },
    ADMIN_SLOT, IMPLEMENTATION_SLOT,
};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolError;
use stylus_sdk::{
    call::delegate_call, prelude::*, stylus_core::calls::errors::Error as CallError, ArbResult,
};

/// Why a proxy function reverted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyError {
    Unauthorized(ProxyUnauthorized),
    InvalidImplementation(ProxyInvalidImplementation),
    InvalidAdmin(ProxyInvalidAdmin),
    NonPayable(ProxyNonPayable),
    /// The implementation reverted the init call: its revert data, passed on unchanged.
    Implementation(Vec<u8>),
}

impl From<ProxyError> for Vec<u8> {
    fn from(err: ProxyError) -> Self {
        match err {
            ProxyError::Unauthorized(e) => e.abi_encode(),
            ProxyError::InvalidImplementation(e) => e.abi_encode(),
            ProxyError::InvalidAdmin(e) => e.abi_encode(),
            ProxyError::NonPayable(e) => e.abi_encode(),
            ProxyError::Implementation(data) => data,
        }
    }
}

// `#[derive(SolidityError)]` cannot carry raw revert data, so the exported interface's error
// list is spelled out here.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for ProxyError {
    fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
        use alloc::format;
        use core::any::TypeId;
        use stylus_sdk::abi::export::internal::InnerType;
        fn error<E: SolError + 'static>() -> InnerType {
            InnerType {
                name: format!("error {};", E::SIGNATURE.replace(',', ", ")),
                id: TypeId::of::<E>(),
            }
        }
        alloc::vec![
            error::<ProxyUnauthorized>(),
            error::<ProxyInvalidImplementation>(),
            error::<ProxyInvalidAdmin>(),
            error::<ProxyNonPayable>(),
        ]
    }
}

/// No fields: the implementation owns the layout from slot 0; the proxy's two words live in the
/// ERC-1967 slots.
#[storage]
#[entrypoint]
pub struct UpgradeableProxy;

#[public]
impl UpgradeableProxy {
    /// Sets admin and implementation, then runs `data` (usually `initialize(...)`) on the
    /// implementation in the proxy's storage.
    #[constructor]
    #[payable]
    pub fn constructor(
        &mut self,
        implementation: Address,
        admin: Address,
        data: Bytes,
    ) -> Result<(), ProxyError> {
        self.set_admin(admin)?;
        self.upgrade(implementation, &data)
    }

    /// Admin only: points the proxy at `new_implementation`, then delegate-calls it with `data`
    /// unless `data` is empty.
    #[payable]
    pub fn upgrade_to_and_call(
        &mut self,
        new_implementation: Address,
        data: Bytes,
    ) -> Result<(), ProxyError> {
        self.only_admin()?;
        self.upgrade(new_implementation, &data)
    }

    /// Admin only: hands the admin role over.
    pub fn change_admin(&mut self, new_admin: Address) -> Result<(), ProxyError> {
        self.only_admin()?;
        self.set_admin(new_admin)
    }

    pub fn proxy_admin(&self) -> Address {
        self.load_address(ADMIN_SLOT)
    }

    pub fn proxy_implementation(&self) -> Address {
        self.load_address(IMPLEMENTATION_SLOT)
    }

    /// Everything else, including empty calldata, runs in the implementation.
    #[fallback]
    #[payable]
    pub fn forward(&mut self, calldata: &[u8]) -> ArbResult {
        let implementation = self.proxy_implementation();
        if implementation.is_zero() {
            return Err(ProxyInvalidImplementation { implementation }.abi_encode());
        }
        self.delegate(implementation, calldata)
    }
}

impl UpgradeableProxy {
    fn only_admin(&self) -> Result<(), ProxyError> {
        let caller = self.vm().msg_sender();
        let admin = self.proxy_admin();
        if caller != admin {
            return Err(ProxyError::Unauthorized(ProxyUnauthorized {
                caller,
                admin,
            }));
        }
        Ok(())
    }

    fn set_admin(&mut self, new_admin: Address) -> Result<(), ProxyError> {
        if new_admin.is_zero() {
            return Err(ProxyError::InvalidAdmin(ProxyInvalidAdmin {
                admin: new_admin,
            }));
        }
        let previous_admin = self.proxy_admin();
        self.store_address(ADMIN_SLOT, new_admin);
        self.vm().log(AdminChanged {
            previousAdmin: previous_admin,
            newAdmin: new_admin,
        });
        Ok(())
    }

    fn upgrade(&mut self, implementation: Address, data: &[u8]) -> Result<(), ProxyError> {
        let vm = self.vm();
        if implementation == vm.contract_address() || vm.code_size(implementation) == 0 {
            return Err(ProxyError::InvalidImplementation(
                ProxyInvalidImplementation { implementation },
            ));
        }
        if data.is_empty() {
            let value = vm.msg_value();
            if !value.is_zero() {
                return Err(ProxyError::NonPayable(ProxyNonPayable { value }));
            }
        }
        self.store_address(IMPLEMENTATION_SLOT, implementation);
        self.vm().log(Upgraded { implementation });
        if !data.is_empty() {
            self.delegate(implementation, data)
                .map_err(ProxyError::Implementation)?;
        }
        Ok(())
    }

    fn delegate(&mut self, implementation: Address, data: &[u8]) -> ArbResult {
        let context = Call::new_mutating(self);
        // SAFETY: the implementation is the one the admin (governance) installed; running its code
        // in this account's storage is the proxy's purpose. `delegate_call` flushes and clears the
        // storage cache first, so the slots written above are visible to it.
        match unsafe { delegate_call(self.vm(), context, implementation, data) } {
            Ok(output) => Ok(output),
            Err(CallError::Revert(data)) => Err(data),
            Err(err) => Err(err.into()),
        }
    }

    fn load_address(&self, slot: B256) -> Address {
        Address::from_word(self.vm().storage_load_bytes32(U256::from_be_bytes(slot.0)))
    }

    fn store_address(&mut self, slot: B256, address: Address) {
        // SAFETY: ERC-1967 slots are far from any slot the implementation's layout can reach, and
        // no storage accessor of this contract aliases them.
        unsafe {
            self.vm()
                .storage_cache_bytes32(U256::from_be_bytes(slot.0), address.into_word())
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::proxy::IUpgradeableProxy;
    use alloy_primitives::address;
    use alloy_sol_types::{SolCall, SolEvent};
    use stylus_sdk::testing::TestVM;

    const ADMIN: Address = address!("00000000000000000000000000000000000000ad");
    const IMPL_V1: Address = address!("0000000000000000000000000000000000000001");
    const IMPL_V2: Address = address!("0000000000000000000000000000000000000002");
    const USER: Address = address!("0000000000000000000000000000000000000bee");
    const PROXY: Address = address!("000000000000000000000000000000000000abcd");

    fn vm_with_code() -> TestVM {
        let vm = TestVM::new();
        vm.set_contract_address(PROXY);
        vm.set_code(IMPL_V1, vec![0xef, 0xf0, 0x00, 0x00, 1]);
        vm.set_code(IMPL_V2, vec![0xef, 0xf0, 0x00, 0x00, 2]);
        vm
    }

    fn deployed() -> (TestVM, UpgradeableProxy) {
        let vm = vm_with_code();
        let mut proxy = UpgradeableProxy::from(&vm);
        proxy
            .constructor(IMPL_V1, ADMIN, Bytes::new())
            .expect("constructor");
        (vm, proxy)
    }

    fn slot(s: B256) -> U256 {
        U256::from_be_bytes(s.0)
    }

    #[test]
    fn constructor_writes_erc1967_slots_and_events() {
        let (vm, proxy) = deployed();
        assert_eq!(
            vm.get_storage(slot(IMPLEMENTATION_SLOT)),
            IMPL_V1.into_word()
        );
        assert_eq!(vm.get_storage(slot(ADMIN_SLOT)), ADMIN.into_word());
        assert_eq!(proxy.proxy_admin(), ADMIN);
        assert_eq!(proxy.proxy_implementation(), IMPL_V1);
        assert_eq!(vm.get_storage(U256::ZERO), B256::ZERO, "slot 0 stays free");

        let logs = vm.get_emitted_logs();
        assert_eq!(logs.len(), 2);
        let admin_changed = AdminChanged::decode_raw_log(logs[0].0.clone(), &logs[0].1).unwrap();
        assert_eq!(admin_changed.previousAdmin, Address::ZERO);
        assert_eq!(admin_changed.newAdmin, ADMIN);
        let upgraded = Upgraded::decode_raw_log(logs[1].0.clone(), &logs[1].1).unwrap();
        assert_eq!(upgraded.implementation, IMPL_V1);
        assert_eq!(
            logs[1].0[1],
            IMPL_V1.into_word(),
            "implementation is indexed"
        );
    }

    #[test]
    fn constructor_runs_init_data_in_proxy_storage() {
        let vm = vm_with_code();
        let init = vec![0x81, 0x29, 0xfc, 0x1c];
        vm.mock_delegate_call(IMPL_V1, init.clone(), Ok(vec![]));
        let mut proxy = UpgradeableProxy::from(&vm);
        proxy
            .constructor(IMPL_V1, ADMIN, init.into())
            .expect("init succeeds");
        assert_eq!(proxy.proxy_implementation(), IMPL_V1);
    }

    #[test]
    fn constructor_bubbles_init_revert_data() {
        let vm = vm_with_code();
        let init = vec![0x81, 0x29, 0xfc, 0x1c];
        let reason = vec![0xde, 0xad, 0xbe, 0xef, 0x01];
        vm.mock_delegate_call(IMPL_V1, init.clone(), Err(reason.clone()));
        let mut proxy = UpgradeableProxy::from(&vm);
        let err = proxy.constructor(IMPL_V1, ADMIN, init.into()).unwrap_err();
        assert_eq!(err, ProxyError::Implementation(reason.clone()));
        assert_eq!(Vec::<u8>::from(err), reason);
    }

    #[test]
    fn constructor_rejects_zero_admin_and_codeless_implementation() {
        let vm = vm_with_code();
        let mut proxy = UpgradeableProxy::from(&vm);
        assert_eq!(
            proxy.constructor(IMPL_V1, Address::ZERO, Bytes::new()),
            Err(ProxyError::InvalidAdmin(ProxyInvalidAdmin {
                admin: Address::ZERO
            }))
        );
        assert_eq!(
            proxy.constructor(USER, ADMIN, Bytes::new()),
            Err(ProxyError::InvalidImplementation(
                ProxyInvalidImplementation {
                    implementation: USER
                }
            ))
        );
    }

    #[test]
    fn value_without_init_data_is_rejected() {
        let vm = vm_with_code();
        vm.set_value(U256::from(5));
        let mut proxy = UpgradeableProxy::from(&vm);
        assert_eq!(
            proxy.constructor(IMPL_V1, ADMIN, Bytes::new()),
            Err(ProxyError::NonPayable(ProxyNonPayable {
                value: U256::from(5)
            }))
        );
    }

    #[test]
    fn admin_upgrades_and_calls() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(ADMIN);
        let init_v2 = vec![0x11, 0x22, 0x33, 0x44];
        vm.mock_delegate_call(IMPL_V2, init_v2.clone(), Ok(vec![]));
        proxy
            .upgrade_to_and_call(IMPL_V2, init_v2.into())
            .expect("upgrade");
        assert_eq!(proxy.proxy_implementation(), IMPL_V2);
        let logs = vm.get_emitted_logs();
        let last = logs.last().unwrap();
        assert_eq!(
            Upgraded::decode_raw_log(last.0.clone(), &last.1)
                .unwrap()
                .implementation,
            IMPL_V2
        );
    }

    #[test]
    fn upgrade_init_revert_is_bubbled_verbatim() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(ADMIN);
        let init_v2 = vec![0x11, 0x22, 0x33, 0x44];
        let reason = abi::proxy::IInitializable::InvalidInitialization {
            current: 1,
            requested: 1,
        }
        .abi_encode();
        vm.mock_delegate_call(IMPL_V2, init_v2.clone(), Err(reason.clone()));
        assert_eq!(
            proxy.upgrade_to_and_call(IMPL_V2, init_v2.into()),
            Err(ProxyError::Implementation(reason))
        );
    }

    #[test]
    fn non_admin_cannot_upgrade_or_change_admin() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(USER);
        let unauthorized = ProxyError::Unauthorized(ProxyUnauthorized {
            caller: USER,
            admin: ADMIN,
        });
        assert_eq!(
            proxy.upgrade_to_and_call(IMPL_V2, Bytes::new()),
            Err(unauthorized.clone())
        );
        assert_eq!(proxy.change_admin(USER), Err(unauthorized));
        assert_eq!(proxy.proxy_implementation(), IMPL_V1);
        assert_eq!(proxy.proxy_admin(), ADMIN);
    }

    #[test]
    fn upgrade_rejects_codeless_and_self() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(ADMIN);
        for bad in [USER, PROXY, Address::ZERO] {
            assert_eq!(
                proxy.upgrade_to_and_call(bad, Bytes::new()),
                Err(ProxyError::InvalidImplementation(
                    ProxyInvalidImplementation {
                        implementation: bad
                    }
                ))
            );
        }
        assert_eq!(proxy.proxy_implementation(), IMPL_V1);
    }

    #[test]
    fn admin_hands_over_admin_role() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(ADMIN);
        assert_eq!(
            proxy.change_admin(Address::ZERO),
            Err(ProxyError::InvalidAdmin(ProxyInvalidAdmin {
                admin: Address::ZERO
            }))
        );
        proxy.change_admin(USER).unwrap();
        assert_eq!(proxy.proxy_admin(), USER);
        let logs = vm.get_emitted_logs();
        let last = logs.last().unwrap();
        let event = AdminChanged::decode_raw_log(last.0.clone(), &last.1).unwrap();
        assert_eq!((event.previousAdmin, event.newAdmin), (ADMIN, USER));
        assert!(
            proxy.change_admin(ADMIN).is_err(),
            "old admin lost its role"
        );
    }

    #[test]
    fn fallback_forwards_calldata_and_returns_output() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(USER);
        let calldata = vec![0x70, 0xa0, 0x82, 0x31, 0, 0, 0, 9];
        vm.mock_delegate_call(IMPL_V1, calldata.clone(), Ok(vec![7; 32]));
        assert_eq!(proxy.forward(&calldata), Ok(vec![7; 32]));
    }

    #[test]
    fn fallback_passes_revert_data_through() {
        let (vm, mut proxy) = deployed();
        let calldata = vec![0xa9, 0x05, 0x9c, 0xbb];
        let reason = vec![0x08, 0xc3, 0x79, 0xa0, 0xff, 0xee];
        vm.mock_delegate_call(IMPL_V1, calldata.clone(), Err(reason.clone()));
        assert_eq!(proxy.forward(&calldata), Err(reason));
    }

    #[test]
    fn admin_calls_to_other_selectors_are_forwarded_too() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(ADMIN);
        let set_param = vec![0x12, 0x34, 0x56, 0x78, 1];
        vm.mock_delegate_call(IMPL_V1, set_param.clone(), Ok(vec![1]));
        assert_eq!(proxy.forward(&set_param), Ok(vec![1]));
    }

    #[test]
    fn fallback_without_implementation_reverts() {
        let vm = vm_with_code();
        let mut proxy = UpgradeableProxy::from(&vm);
        assert_eq!(
            proxy.forward(&[1, 2, 3, 4]),
            Err(ProxyInvalidImplementation {
                implementation: Address::ZERO
            }
            .abi_encode())
        );
    }

    #[test]
    fn upgraded_proxy_forwards_to_new_implementation() {
        let (vm, mut proxy) = deployed();
        vm.set_sender(ADMIN);
        proxy.upgrade_to_and_call(IMPL_V2, Bytes::new()).unwrap();
        let calldata = vec![0xde, 0xad, 0x00, 0x01];
        vm.mock_delegate_call(IMPL_V1, calldata.clone(), Ok(vec![1]));
        vm.mock_delegate_call(IMPL_V2, calldata.clone(), Ok(vec![2]));
        vm.set_sender(USER);
        assert_eq!(proxy.forward(&calldata), Ok(vec![2]));
    }

    #[test]
    fn proxy_selectors_match_the_abi_crate() {
        let selectors = IUpgradeableProxy::IUpgradeableProxyCalls::SELECTORS;
        assert!(selectors.contains(&IUpgradeableProxy::upgradeToAndCallCall::SELECTOR));
        assert!(selectors.contains(&IUpgradeableProxy::changeAdminCall::SELECTOR));
        assert_eq!(selectors.len(), 4);
        assert_eq!(
            stylus_sdk::function_selector!("upgradeToAndCall", Address, Bytes),
            IUpgradeableProxy::upgradeToAndCallCall::SELECTOR
        );
        assert_eq!(
            stylus_sdk::function_selector!("proxyImplementation"),
            IUpgradeableProxy::proxyImplementationCall::SELECTOR
        );
    }
}
