//! What host functions ask of the chain, priced in EVM gas as nitro's Go side prices them
//! (`arbos/programs/api.go`): storage through the journal, calls and creates through the
//! wrapper's nested frame loop, account queries with EIP-2929 warm/cold costs.

use alloy_primitives::{Address, Bytes, Log, LogData, B256, U256};
use revm::context::ContextTr;
use revm::context_interface::{Cfg, JournalTr, Transaction};
use revm::handler::FrameResult;
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{
    CallInput, CallInputs, CallScheme, CallValue, CreateInputs, CreateScheme, FrameInput,
};

use super::host::{Escape, Host};
use crate::evm::DbError;

/// The three call hostios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Call,
    Delegate,
    Static,
}

fn fatal(e: impl std::fmt::Display) -> Escape {
    Escape::Fatal(e.to_string())
}

fn db(e: DbError) -> Escape {
    fatal(format!("{e:?}"))
}

impl Host<'_> {
    /// Reads a storage word through the cache; a miss costs a warm or cold `SLOAD` plus the
    /// API call.
    pub(crate) fn get_bytes32(&mut self, key: B256, api_gas: u64) -> Result<(B256, u64), Escape> {
        let mut cost = self.storage.read_gas();
        if let Some(value) = self.storage.get(&key) {
            return Ok((value, cost));
        }
        let address = self.env.address;
        let gas_params = self.evm.ctx().cfg.gas_params().clone();
        let load = self
            .evm
            .ctx_mut()
            .journal_mut()
            .sload(address, key.into())
            .map_err(fatal)?;
        let access = if load.is_cold {
            gas_params.cold_storage_cost()
        } else {
            gas_params.warm_storage_read_cost()
        };
        cost = cost.saturating_add(access).saturating_add(api_gas);
        let value = B256::from(load.data.to_be_bytes());
        self.storage.insert_known(key, value);
        Ok((value, cost))
    }

    /// Writes the dirty words with `SSTORE` semantics and gas; `Err` in the outcome when the
    /// frame is static (revert) or the gas runs out (out of ink).
    pub(crate) fn flush_storage(
        &mut self,
        clear: bool,
        gas_left: u64,
    ) -> Result<(u64, Result<(), Escape>), Escape> {
        let entries = self.storage.flush(clear);
        if entries.is_empty() {
            return Ok((0, Ok(())));
        }
        if self.env.is_static {
            let reason = Escape::Failure("storage write in a static context".into());
            return Ok((0, Err(reason)));
        }
        let address = self.env.address;
        let gas_params = self.evm.ctx().cfg.gas_params().clone();
        let mut total = 0u64;
        for (key, value) in entries {
            let journal = self.evm.ctx_mut().journal_mut();
            let store = journal
                .sstore(address, key.into(), value.into())
                .map_err(fatal)?;
            let cost = gas_params
                .sstore_static_gas()
                .saturating_add(gas_params.sstore_dynamic_gas(true, &store.data, store.is_cold));
            total = total.saturating_add(cost);
            if total > gas_left {
                return Ok((total, Err(Escape::OutOfInk)));
            }
            self.refund += gas_params.sstore_refund(true, &store.data);
        }
        Ok((total, Ok(())))
    }

    pub(crate) fn tload(&mut self, key: B256) -> B256 {
        let address = self.env.address;
        let value = self.evm.ctx_mut().journal_mut().tload(address, key.into());
        B256::from(value.to_be_bytes())
    }

    pub(crate) fn tstore(&mut self, key: B256, value: B256) -> Result<(), Escape> {
        if self.env.is_static {
            return Err(Escape::Failure(
                "transient write in a static context".into(),
            ));
        }
        let address = self.env.address;
        self.evm
            .ctx_mut()
            .journal_mut()
            .tstore(address, key.into(), value.into());
        Ok(())
    }

    pub(crate) fn emit_log(&mut self, data: &[u8], topics: usize) -> Result<(), Escape> {
        if self.env.is_static {
            return Err(Escape::Failure("log in a static context".into()));
        }
        let topic_list = data[..topics * 32]
            .chunks_exact(32)
            .map(B256::from_slice)
            .collect();
        let log = Log {
            address: self.env.address,
            data: LogData::new_unchecked(topic_list, Bytes::copy_from_slice(&data[topics * 32..])),
        };
        self.evm.ctx_mut().journal_mut().log(log);
        Ok(())
    }

    /// EIP-2929 access cost of touching `address`, warming it.
    fn access_cost(&mut self, address: Address) -> Result<u64, Escape> {
        let gas_params = self.evm.ctx().cfg.gas_params().clone();
        let load = self
            .evm
            .ctx_mut()
            .journal_mut()
            .load_account(address)
            .map_err(fatal)?;
        Ok(if load.is_cold {
            gas_params.warm_storage_read_cost() + gas_params.cold_account_additional_cost()
        } else {
            gas_params.warm_storage_read_cost()
        })
    }

    pub(crate) fn balance(&mut self, address: Address) -> Result<(U256, u64), Escape> {
        let cost = self.access_cost(address)?;
        let account = self
            .evm
            .ctx_mut()
            .journal_mut()
            .load_account(address)
            .map_err(fatal)?;
        Ok((account.data.info.balance, cost))
    }

    pub(crate) fn code(&mut self, address: Address) -> Result<(Bytes, u64), Escape> {
        let cost = self.access_cost(address)?;
        let code = self
            .evm
            .ctx_mut()
            .journal_mut()
            .code(address)
            .map_err(fatal)?;
        Ok((code.data, cost))
    }

    pub(crate) fn code_hash(&mut self, address: Address) -> Result<(B256, u64), Escape> {
        let cost = self.access_cost(address)?;
        let hash = self
            .evm
            .ctx_mut()
            .journal_mut()
            .code_hash(address)
            .map_err(fatal)?;
        Ok((hash.data, cost))
    }

    pub(crate) fn gas_price(&self) -> U256 {
        let ctx = self.evm.ctx();
        U256::from(ctx.tx.effective_gas_price(u128::from(ctx.block.basefee)))
    }

    pub(crate) fn add_pages(&mut self, pages: u16) -> u64 {
        self.evm
            .pages
            .add_pages(&crate::params::stylus::PARAMS.memory_model(), pages)
    }

    /// A call as nitro's `doCall`: access, value and new-account costs first, then the 63/64
    /// rule, the stipend for value, and the child's unused gas back. Returns the length of the
    /// return data, the gas spent and the status (0 on success).
    pub(crate) fn call(
        &mut self,
        kind: CallKind,
        contract: Address,
        input: Bytes,
        gas_left: u64,
        gas_req: u64,
        value: U256,
    ) -> Result<(u32, u64, u32), Escape> {
        if self.env.is_static && !value.is_zero() {
            return Err(Escape::Failure(
                "call with value in a static context".into(),
            ));
        }
        let gas_params = self.evm.ctx().cfg.gas_params().clone();
        let mut base = self.access_cost(contract)?;
        if !value.is_zero() {
            base = base.saturating_add(gas_params.transfer_value_cost());
            let empty = self
                .evm
                .ctx_mut()
                .journal_mut()
                .load_account(contract)
                .map_err(fatal)?
                .data
                .is_empty();
            if empty {
                base = base.saturating_add(gas_params.new_account_cost(true, true));
            }
        }
        if gas_left < base {
            self.return_data = Bytes::new();
            return Err(Escape::OutOfInk);
        }
        let mut start_gas = (gas_left - base) * 63 / 64;
        start_gas = start_gas.min(gas_req);
        if !value.is_zero() {
            start_gas = start_gas.saturating_add(gas_params.call_stipend());
        }

        let code = self
            .evm
            .ctx_mut()
            .journal_mut()
            .load_account_with_code(contract)
            .map_err(fatal)?;
        let known_bytecode = (
            code.data.info.code_hash,
            code.data.info.code.clone().unwrap_or_default(),
        );
        let env = &self.env;
        let (target, caller, value, scheme) = match kind {
            CallKind::Call => (
                contract,
                env.address,
                CallValue::Transfer(value),
                CallScheme::Call,
            ),
            CallKind::Delegate => (
                env.address,
                env.caller,
                CallValue::Apparent(env.value),
                CallScheme::DelegateCall,
            ),
            CallKind::Static => (
                contract,
                env.address,
                CallValue::Transfer(U256::ZERO),
                CallScheme::StaticCall,
            ),
        };
        let inputs = CallInputs {
            input: CallInput::Bytes(input),
            return_memory_offset: 0..0,
            gas_limit: start_gas,
            reservoir: 0,
            bytecode_address: contract,
            known_bytecode,
            target_address: target,
            caller,
            value,
            scheme,
            is_static: env.is_static || kind == CallKind::Static,
            charged_new_account_state_gas: false,
        };
        let result = self.run_child(FrameInput::Call(Box::new(inputs)))?;
        let FrameResult::Call(outcome) = result else {
            return Err(fatal("call returned a create outcome"));
        };
        let ok = outcome.result.result.is_ok();
        let return_gas = if outcome.result.result.is_ok_or_revert() {
            outcome.result.gas.remaining()
        } else {
            0
        };
        if ok {
            self.refund += outcome.result.gas.refunded();
        }
        let output = outcome.result.output;
        let len = output.len() as u32;
        self.return_data = output;
        let cost = start_gas.saturating_sub(return_gas).saturating_add(base);
        Ok((len, cost, u32::from(!ok)))
    }

    /// A create as nitro's `create`: base cost (plus hashing for CREATE2), 63/64 rule, the
    /// child's gas and the kept 64th back. Returns the address (zero on failure), the length
    /// of the revert data and the gas spent.
    pub(crate) fn create(
        &mut self,
        code: Bytes,
        endowment: U256,
        salt: Option<B256>,
        gas: u64,
    ) -> Result<(Address, u32, u64), Escape> {
        if self.env.is_static {
            return Err(Escape::Failure("create in a static context".into()));
        }
        let gas_params = self.evm.ctx().cfg.gas_params().clone();
        let mut base = gas_params.create_cost();
        if salt.is_some() {
            base = base.saturating_add(
                gas_params.keccak256_cost(code.len()) - gas_params.keccak256_cost(0),
            );
        }
        if gas < base {
            return Err(Escape::OutOfInk);
        }
        let start_gas = gas;
        let mut child_gas = gas - base;
        let one_64th = child_gas / 64;
        child_gas -= one_64th;
        let scheme = match salt {
            Some(salt) => CreateScheme::Create2 { salt: salt.into() },
            None => CreateScheme::Create,
        };
        let inputs = CreateInputs::new(self.env.address, scheme, endowment, code, child_gas, 0);
        let result = self.run_child(FrameInput::Create(Box::new(inputs)))?;
        let FrameResult::Create(outcome) = result else {
            return Err(fatal("create returned a call outcome"));
        };
        let instruction = outcome.result.result;
        let return_gas = if instruction.is_ok_or_revert() {
            outcome.result.gas.remaining()
        } else {
            0
        };
        if instruction.is_ok() {
            self.refund += outcome.result.gas.refunded();
        }
        let address = match outcome.address {
            Some(address) if instruction.is_ok() => address,
            _ => Address::ZERO,
        };
        self.return_data = if instruction.is_revert() {
            outcome.result.output
        } else {
            Bytes::new()
        };
        let cost = start_gas.saturating_sub(return_gas.saturating_add(one_64th));
        Ok((address, self.return_data.len() as u32, cost))
    }

    fn run_child(&mut self, frame_input: FrameInput) -> Result<FrameResult, Escape> {
        let init = FrameInit {
            depth: self.env.depth + 1,
            memory: self.memory.new_child_context(),
            frame_input,
        };
        let result = self.evm.run_nested(init).map_err(db);
        self.memory.free_child_context();
        result
    }
}
